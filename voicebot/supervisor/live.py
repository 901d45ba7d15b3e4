"""The live-calls board: folds the call events every worker publishes to Redis into one row per call.

The same fold builds the first snapshot (from the stream's recent history) and each update the
console pushes to browsers, so a page opened mid-call and a page open since the start agree.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from voicebot.store.events import RedisEventReader
from voicebot.supervisor.records import BadRecord, clean_event, log_skipped

# Emotion labels that flag a call for a supervisor's attention.
NEGATIVE_EMOTIONS = {"agitated", "angry", "frustrated", "negative", "upset"}
LAST_UTTERANCES = 4


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


def _flag(row: LiveCall, flag: str) -> None:
    if flag not in row.flags:
        row.flags.append(flag)


def fold(rows: dict[str, LiveCall], raw: Any, where: str, create: bool = True) -> LiveCall | None:
    """Validates one raw event and folds it into its row; a malformed event is skipped and logged."""
    try:
        event = clean_event(raw)
        if not event["call_id"]:
            return None
        row = rows.get(event["call_id"])
        if row is None:
            if not create:
                return None
            row = rows[event["call_id"]] = LiveCall(event["call_id"])
        return apply_event(row, event)
    except (BadRecord, TypeError, ValueError, AttributeError, KeyError) as exc:
        log_skipped("event", where, exc)
        return None


def apply_event(row: LiveCall, event: dict[str, Any]) -> LiveCall:
    """Updates ``row`` from one event (validated by ``records.clean_event``)."""
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
        row.state = "transferring"
        _flag(row, f"transfer: {event.get('reason') or event.get('target', '')}")
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


class LiveBoard:
    """Rows of the calls in progress, rebuilt from Redis (live-call set + recent stream history)."""

    def __init__(self, reader: RedisEventReader, history: int = 5000) -> None:
        self.reader, self.history = reader, history

    def snapshot(self) -> tuple[list[LiveCall], str]:
        """(rows of live calls, the stream id to continue from)."""
        live = {c["call_id"]: c for c in self.reader.live_calls()}
        entries = self.reader.client.xrevrange("voicebot:events", count=self.history)
        last_id = entries[0][0] if entries else "0-0"
        rows: dict[str, LiveCall] = {cid: LiveCall(cid) for cid in live}
        for entry_id, fields in reversed(entries):
            try:
                event = json.loads(fields.get("json") or "null")
            except ValueError as exc:
                log_skipped("event", entry_id, exc)
                continue
            fold(rows, event, entry_id, create=False)
        for cid, row in rows.items():
            if not row.started:  # its call_started fell out of the history: use the live hash
                state = live[cid]
                try:
                    row.started = float(state.get("started") or 0.0)
                except ValueError:
                    row.started = 0.0
                row.remote, row.direction = state.get("remote", ""), state.get("direction", "")
        return sorted(rows.values(), key=lambda r: r.started), last_id
