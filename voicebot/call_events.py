"""Call events: what a call session publishes for the console, campaigns, recordings and the store.

Every event is a flat JSON object ``{"type", "call_id", "ts", "worker", ...data}``.
Types: call_started, call_answered, user_turn, bot_turn, partial_transcript, emotion,
dtmf, barge_in, transfer, transfer_result, escalation, state, reply_latency, call_ended (carries the outcome).
Sinks are plain callables, chained; the Redis sink lives in ``voicebot.store``. This sits on the bottom floor
because the store, the session and the console all speak it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class CallEvent:
    type: str
    call_id: str
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "call_id": self.call_id, "ts": self.ts, **self.data}


EventSink = Callable[[CallEvent], None]


def public_customer(customer: dict[str, Any]) -> dict[str, Any]:
    """The profile fields events may carry (no phone numbers, no free-form CRM data)."""
    return {k: v for k, v in customer.items() if k in ("name", "segment", "variant", "customer_id")}
