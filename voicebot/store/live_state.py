"""One row per live call, folded from that call's events by the worker that runs it.

The worker's event sink keeps the row and writes it whole to the call's Redis hash after every
event, so the console reads each call's state directly instead of replaying a window of the event
stream (a long call's first events fall out of any window). The console's live stream folds the
same way on top of a snapshot, so both agree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Emotion labels that flag a call for a supervisor's attention.
NEGATIVE_EMOTIONS = {"agitated", "angry", "frustrated", "negative", "upset"}
LAST_UTTERANCES = 4
# States in which a call holds no one yet: the wallboard's Waiting counts inbound calls in these.
WAITING_STATES = ("ringing",)
TRANSFERRING = "transferring"


@dataclass
class LiveCall:
    call_id: str
    worker: str = ""
    direction: str = ""
    remote: str = ""
    locale: str = ""
    customer: dict[str, Any] = field(default_factory=dict)
    segment: str = ""
    state: str = "ringing"
    started: float = 0.0
    answered: float = 0.0
    ended: float = 0.0
    emotion: str = ""
    emotion_confidence: float = 0.0
    utterances: list[dict[str, Any]] = field(default_factory=list)  # {who, text, ts}
    partial: str = ""
    last_latency_ms: int | None = None  # end of callee speech -> first bot audio, last turn
    flags: list[str] = field(default_factory=list)  # escalation reasons, in order seen
    outcome: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def live(self) -> bool:
        return self.state != "ended"

    @property
    def waiting(self) -> bool:
        """An inbound call no one (bot or agent) has answered yet; an outbound call ringing is not."""
        return self.live and self.direction == "inbound" and self.state in WAITING_STATES

    @property
    def with_agent(self) -> bool:
        return self.live and self.state == TRANSFERRING


ROW_FIELDS = tuple(f.name for f in fields(LiveCall))


def row_to_hash(row: LiveCall) -> dict[str, str | int | float]:
    """The row as hash fields: scalars as they are, lists and objects as JSON, no value as ""."""
    out: dict[str, str | int | float] = {}
    for name, value in asdict(row).items():
        if value is None:
            out[name] = ""
        elif isinstance(value, (dict, list)):
            out[name] = json.dumps(value, ensure_ascii=False, default=str)
        else:
            out[name] = value
    return out


def _flag(row: LiveCall, flag: str) -> None:
    if flag not in row.flags:
        row.flags.append(flag)


def apply_event(row: LiveCall, event: dict[str, Any]) -> LiveCall:
    """Updates ``row`` from one event (a sound record: see ``supervisor.records.clean_event``)."""
    kind, ts = event.get("type"), float(event.get("ts") or 0.0)
    row.worker = event.get("worker", row.worker)
    if kind == "call_started":
        row.direction = event.get("direction", "")
        row.remote = event.get("remote", "")
        row.locale = event.get("locale", "")
        row.customer = event.get("customer") or {}
        row.segment = row.customer.get("segment", "")
        row.started = ts
    elif kind == "call_answered":
        row.answered, row.state = ts, "talking"
        row.remote = event.get("remote") or row.remote
    elif kind in ("user_turn", "bot_turn"):
        who = "callee" if kind == "user_turn" else "bot"
        row.utterances = (row.utterances + [{"who": who, "text": event.get("text", ""), "ts": ts}])[-LAST_UTTERANCES:]
        if who == "callee":
            row.partial = ""
    elif kind == "reply_latency":
        row.last_latency_ms = int(event.get("latency_ms") or 0)
    elif kind == "partial_transcript":
        row.partial = event.get("text", "")
    elif kind == "emotion":
        row.emotion = event.get("label", "")
        row.emotion_confidence = float(event.get("confidence") or 0.0)
        if row.emotion in NEGATIVE_EMOTIONS:
            _flag(row, f"emotion: {row.emotion}")
    elif kind == "state":
        row.state = str(event.get("state", row.state))
    elif kind == "transfer":
        row.state = TRANSFERRING
        _flag(row, f"transfer: {event.get('reason') or event.get('target', '')}")
    elif kind == "transfer_result":
        if not event.get("ok") and row.state == TRANSFERRING:
            row.state = "talking"  # no agent took the customer: the bot talks on, the agent is free
    elif kind == "escalation":
        _flag(row, f"escalation: {event.get('reason', '')}")
    elif kind == "tag":
        for tag in event.get("tags") or []:
            if tag in ("complaint", "do_not_call", "opt_out", "angry"):
                _flag(row, f"tag: {tag}")
    elif kind == "call_ended":
        row.ended, row.state = ts, "ended"
        row.outcome = event.get("outcome") or {}
        if row.outcome.get("escalation"):
            _flag(row, f"escalation: {row.outcome['escalation']}")
    if row.started == 0.0:
        row.started = ts
    return row


def agent_after_call(was_with_agent: bool, outcome: dict[str, Any]) -> str | None:
    """What a call's end means for the agent it was being transferred to.

    "handover": the customer went on to the agent (REFER): the agent's leg goes on where the bot
    cannot see it, so it counts for the dialer's handle-time estimate. "wrap_up": the agent's leg was
    bridged through the bot and ended with this call: the agent's after-call work starts now. None:
    no agent has the customer (no transfer, or it failed or was cut short).
    """
    transfer = outcome.get("transfer") if isinstance(outcome, dict) else None
    if not was_with_agent or not isinstance(transfer, dict) or not transfer.get("ok"):
        return None
    return "wrap_up" if transfer.get("bridged") else "handover"
