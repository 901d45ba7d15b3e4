"""One row per live call, folded from that call's events by the worker that runs it.

The worker's event sink keeps the row and writes it whole to the call's Redis hash after every
event, so the console reads each call's state directly instead of replaying a window of the event
stream (a long call's first events fall out of any window). The console's live stream folds the
same way on top of a snapshot, so both agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Emotion labels that flag a call for a supervisor's attention.
NEGATIVE_EMOTIONS = {"agitated", "angry", "frustrated", "negative", "upset"}
# Tags that flag it too.
FLAGGED_TAGS = ("complaint", "do_not_call", "opt_out", "angry")
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


def _call_started(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    row.direction = event.get("direction", "")
    row.remote = event.get("remote", "")
    row.locale = event.get("locale", "")
    row.customer = event.get("customer") or {}
    row.segment = row.customer.get("segment", "")
    row.started = ts


def _call_answered(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    row.answered, row.state = ts, "talking"
    row.remote = event.get("remote") or row.remote


def _turn(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    who = "callee" if event.get("type") == "user_turn" else "bot"
    row.utterances = (row.utterances + [{"who": who, "text": event.get("text", ""), "ts": ts}])[-LAST_UTTERANCES:]
    if who == "callee":
        row.partial = ""


def _reply_latency(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    row.last_latency_ms = int(event.get("latency_ms") or 0)


def _partial_transcript(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    row.partial = event.get("text", "")


def _emotion(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    row.emotion = event.get("label", "")
    row.emotion_confidence = float(event.get("confidence") or 0.0)
    if row.emotion in NEGATIVE_EMOTIONS:
        _flag(row, f"emotion: {row.emotion}")


def _state(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    row.state = str(event.get("state", row.state))


def _transfer(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    row.state = TRANSFERRING
    _flag(row, f"transfer: {event.get('reason') or event.get('target', '')}")


def _transfer_result(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    if not event.get("ok") and row.state == TRANSFERRING:
        row.state = "talking"  # no agent took the customer: the bot talks on, the agent is free


def _escalation(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    _flag(row, f"escalation: {event.get('reason', '')}")


def _tag(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    for tag in event.get("tags") or []:
        if tag in FLAGGED_TAGS:
            _flag(row, f"tag: {tag}")


def _call_ended(row: LiveCall, event: dict[str, Any], ts: float) -> None:
    row.ended, row.state = ts, "ended"
    row.outcome = event.get("outcome") or {}
    if row.outcome.get("escalation"):
        _flag(row, f"escalation: {row.outcome['escalation']}")


_FOLD: dict[str, Callable[[LiveCall, dict[str, Any], float], None]] = {
    "call_started": _call_started, "call_answered": _call_answered, "user_turn": _turn, "bot_turn": _turn,
    "reply_latency": _reply_latency, "partial_transcript": _partial_transcript, "emotion": _emotion,
    "state": _state, "transfer": _transfer, "transfer_result": _transfer_result, "escalation": _escalation,
    "tag": _tag, "call_ended": _call_ended,
}


def apply_event(row: LiveCall, event: dict[str, Any]) -> LiveCall:
    """Updates ``row`` from one event (a sound record: see ``supervisor.records.clean_event``)."""
    ts = float(event.get("ts") or 0.0)
    row.worker = event.get("worker", row.worker)
    fold = _FOLD.get(event.get("type"))  # type: ignore[arg-type]
    if fold is not None:
        fold(row, event, ts)
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
