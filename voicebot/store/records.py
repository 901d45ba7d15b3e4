"""Validation at the boundary for every record read back from the store (the console, and the event sink going on
from a row in Redis): call events (Redis stream), live-call
hashes, recording metadata sidecars (``.json``) and transcript lines (``.jsonl``).

Anything a bot worker, an old version or a hand-edited file wrote may be malformed. Each reader
gets records with the types and ranges the console relies on: a field that cannot be made sound
is dropped (metadata) or the record is skipped (events, transcript lines, live rows). A skipped
record is logged once per source and reason, not on every request that meets it again.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field, fields
from typing import Any

from voicebot.logs import get_logger
from voicebot.store.live_state import LiveCall

_log = get_logger("voicebot.console.records")
MAX_TEXT = 4000  # longer values are cut: one record must not blow up a page
MAX_RECORD_BYTES = 64 * 1024  # a whole record (event, metadata file, transcript line, live row)
MAX_FILE_BYTES = 8 << 20  # a transcript file beyond this is read only this far
MAX_ID = 200
MAX_ITEMS = 50  # entries kept of a list or object field
# Timestamps are epoch seconds before 2100: 1e300 is not a time a call happened.
TS_MAX = 4_102_444_800.0
MAX_CALL_S = 86_400.0  # no call, handle time or transcript offset is longer than a day
WHO = ("callee", "bot", "supervisor")
# Numeric fields the console reads, per event type (the same name can mean something else elsewhere:
# call_ended's latency_ms is the list of the call's reply latencies).
NUMBERS = {"reply_latency": ("latency_ms",), "emotion": ("confidence",)}


class BadRecord(ValueError):
    """A record (or field) the console skips; the message names the field."""


def _number(value: Any, name: str, default: float | None = None, low: float = -math.inf,
            high: float = math.inf) -> float:
    if value is None or value == "":
        if default is None:
            raise BadRecord(f"{name} is missing")
        return default
    if isinstance(value, bool):
        raise BadRecord(f"{name} is not a number: {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise BadRecord(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(out) or not low <= out <= high:
        raise BadRecord(f"{name} is out of range: {str(value)[:40]}")
    return out


def _timestamp(value: Any, name: str) -> float:
    """An epoch time in range (0.0 for none)."""
    out = _number(value, name, 0.0)
    if not 0.0 <= out <= TS_MAX:
        raise BadRecord(f"{name} is not an epoch time before 2100: {str(value)[:40]}")
    return out


def _text(value: Any, name: str, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise BadRecord(f"{name} is not text")
    return str(value)[:limit]


def _scalars(value: Any, name: str) -> dict[str, Any]:
    """An object of scalars (customer fields), each cut short; anything else in it is left out."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRecord(f"{name} is not an object")
    return {str(k)[:64]: (v[:500] if isinstance(v, str) else v) for k, v in list(value.items())[:MAX_ITEMS]
            if v is None or isinstance(v, (str, int, float, bool))}


def load_json(text: str | bytes, kind: str) -> Any:
    if len(text) > MAX_RECORD_BYTES:
        raise BadRecord(f"the {kind} is {len(text)} bytes, over {MAX_RECORD_BYTES}")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadRecord(f"the {kind} is not JSON: {str(exc)[:80]}") from None


def clean_event(data: Any) -> dict[str, Any]:
    """A call event with ``type``, ``call_id`` (text) and ``ts`` (a time in range, or 0) sound, or BadRecord."""
    if not isinstance(data, dict):
        raise BadRecord("an event is not a JSON object")
    out = dict(data)
    out["type"] = _text(data.get("type"), "type", 64)
    out["call_id"] = _text(data.get("call_id"), "call_id", MAX_ID)
    out["ts"] = _timestamp(data.get("ts"), "ts")
    for name in ("text", "label", "reason", "state", "remote", "direction", "locale", "worker", "target"):
        if name in data:
            out[name] = _text(data[name], name)
    for name in NUMBERS.get(out["type"], ()):
        if name in data:
            out[name] = _number(data[name], name, 0.0, 0.0, 1e9)
    if "outcome" in data and data["outcome"] is not None and not isinstance(data["outcome"], dict):
        raise BadRecord("outcome is not an object")
    if "customer" in data:
        out["customer"] = _scalars(data["customer"], "customer")  # shown on every row
    if "tags" in data and not isinstance(data["tags"], list):
        raise BadRecord("tags is not a list")
    return out


def parse_event(raw: str | bytes | None) -> dict[str, Any]:
    """A stream entry's ``json`` field, bounded and validated."""
    return clean_event(load_json(raw or "null", "event"))


def clean_transcript_line(line: Any, duration_s: float | None = None) -> dict[str, Any]:
    """A transcript line whose ``start``/``end`` are seconds into the call (not epoch times, not past
    its end): the recording page draws a timeline tick per interval up to the last ``end``."""
    if not isinstance(line, dict):
        raise BadRecord("a transcript line is not a JSON object")
    who = _text(line.get("who"), "who", 16)
    if who not in WHO:
        raise BadRecord(f"who is {who[:16]!r}, not one of {', '.join(WHO)}")
    limit = MAX_CALL_S if duration_s is None else duration_s + 5.0  # the recorder's clock runs a little on
    start = _number(line.get("start"), "start", low=0.0, high=limit)
    end = _number(line.get("end"), "end", start, low=start, high=limit)
    out: dict[str, Any] = {"who": who, "text": _text(line.get("text"), "text"), "start": start, "end": end}
    if line.get("emotion"):
        out["emotion"] = _text(line["emotion"], "emotion", 32)
    if "confidence" in line:
        out["confidence"] = _number(line["confidence"], "confidence", 0.0, 0.0, 1.0)
    out["interrupted"] = bool(line.get("interrupted"))
    return out


@dataclass
class RecordingMeta:
    """A recording's metadata sidecar as the console uses it; every field typed and bounded."""
    started: float = 0.0
    ended: float = 0.0
    direction: str = ""
    remote: str = ""
    locale: str = ""
    customer: dict[str, Any] = field(default_factory=dict)
    segment: str = ""
    variant: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)
    duration_s: float | None = None
    problems: list[str] = field(default_factory=list)  # fields dropped, for the log


def _outcome(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRecord("outcome is not an object")
    out: dict[str, Any] = {}
    for key, item in list(value.items())[:MAX_ITEMS]:
        if isinstance(item, str):
            out[str(key)[:64]] = item[:MAX_TEXT]
        elif isinstance(item, list):
            out[str(key)[:64]] = [x[:MAX_TEXT] if isinstance(x, str) else x for x in item[:MAX_ITEMS]
                                  if x is None or isinstance(x, (str, int, float, bool, dict))]
        elif item is None or isinstance(item, (int, float, bool, dict)):
            out[str(key)[:64]] = item
    for name in ("answered_by", "hangup_reason", "hung_up_by", "final_state", "intent_grade", "escalation"):
        if name in out and not isinstance(out[name], (str, type(None))):
            del out[name]  # shown and filtered on as text: a number or object here is a bad field
    for name in ("tags", "intents", "emotions"):
        if name in out and not isinstance(out[name], list):
            del out[name]
    if "transfer" in out and not isinstance(out["transfer"], (dict, type(None))):
        del out["transfer"]
    return out


def clean_metadata(data: Any) -> RecordingMeta:
    """A metadata record with each unsound field left out (named in ``problems``); BadRecord if it is
    not an object at all."""
    if not isinstance(data, dict):
        raise BadRecord("the metadata is not a JSON object")
    meta = RecordingMeta()
    checks = {
        "started": lambda v: _timestamp(v, "started"), "ended": lambda v: _timestamp(v, "ended"),
        "customer": lambda v: _scalars(v, "customer"), "outcome": _outcome,
        **{n: (lambda v, n=n: _text(v, n, 500)) for n in ("direction", "remote", "locale", "segment", "variant")},
    }
    for name, check in checks.items():
        if data.get(name) is None:
            continue
        try:
            setattr(meta, name, check(data[name]))
        except BadRecord as exc:
            meta.problems.append(str(exc))
    if "duration_s" in meta.outcome:
        try:
            meta.duration_s = _number(meta.outcome["duration_s"], "duration_s", low=0.0, high=MAX_CALL_S)
        except BadRecord as exc:
            meta.problems.append(str(exc))
        meta.outcome["duration_s"] = meta.duration_s
    return meta


_ROW_TYPES = {f.name: f.type for f in fields(LiveCall)}


def clean_live_row(flat: dict[str, Any]) -> LiveCall:
    """A live call's Redis hash (strings) as a ``LiveCall``, or BadRecord."""
    if sum(len(str(k)) + len(str(v)) for k, v in flat.items()) > MAX_RECORD_BYTES:
        raise BadRecord(f"the live row is over {MAX_RECORD_BYTES} bytes")
    call_id = _text(flat.get("call_id"), "call_id", MAX_ID)
    if not call_id:
        raise BadRecord("call_id is missing")
    row = LiveCall(call_id)
    for name, kind in _ROW_TYPES.items():
        value = flat.get(name)
        if name == "call_id" or value in (None, ""):
            continue
        if name in ("started", "answered", "ended"):
            setattr(row, name, _timestamp(value, name))
        elif kind == "float":
            setattr(row, name, _number(value, name, 0.0, 0.0, 1.0))
        elif kind == "int | None":
            setattr(row, name, int(_number(value, name, 0.0, 0.0, 1e9)))
        elif kind.startswith("dict"):
            parsed = load_json(value, name)
            setattr(row, name, _scalars(parsed, name) if name == "customer" else _outcome(parsed))
        elif kind.startswith("list"):
            parsed = load_json(value, name)
            if not isinstance(parsed, list):
                raise BadRecord(f"{name} is not a list")
            setattr(row, name, parsed[-MAX_ITEMS:])
        else:
            setattr(row, name, _text(value, name))
    return row


_logged: set[tuple[str, str, str]] = set()
_logged_lock = threading.Lock()


def log_skipped(kind: str, where: str, error: Exception) -> None:
    """Logs a skipped record or field once per (kind, source, reason): pages re-read the same bad file."""
    key = (kind, where[:200], str(error)[:200])
    with _logged_lock:
        if key in _logged:
            return
        if len(_logged) > 10_000:  # bounded: a flood of distinct bad records still cannot grow memory
            _logged.clear()
        _logged.add(key)
    _log.warning("console_record_skipped", kind=kind, where=key[1], error=key[2])
