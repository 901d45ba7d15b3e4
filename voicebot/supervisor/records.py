"""Validation of what the console reads from others: call events (Redis stream) and transcript lines.

Anything a bot worker, an old version or a hand-edited file wrote may be malformed. A record that
cannot be made sound is skipped and logged (once per source), never allowed to fail a page for
everyone. Valid records come out with the types the console relies on.
"""

from __future__ import annotations

import math
from typing import Any

from voicebot.logs import get_logger

_log = get_logger("voicebot.console.records")
MAX_TEXT = 4000  # longer values are cut: one record must not blow up a page
MAX_FILE_BYTES = 8 << 20  # a transcript or metadata file beyond this is read only this far
MAX_ID = 200
WHO = ("callee", "bot", "supervisor")
# Numeric fields the console reads, per event type (the same name can mean something else elsewhere:
# call_ended's latency_ms is the list of the call's reply latencies).
NUMBERS = {"reply_latency": ("latency_ms",), "emotion": ("confidence",)}


class BadRecord(ValueError):
    """A record the console skips; the message names the field."""


def _number(value: Any, name: str, default: float | None = None) -> float:
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
    if not math.isfinite(out):
        raise BadRecord(f"{name} is not finite")
    return out


def _text(value: Any, name: str, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise BadRecord(f"{name} is not text")
    return str(value)[:limit]


def clean_event(data: Any) -> dict[str, Any]:
    """A call event with ``type``, ``call_id`` (text) and ``ts`` (finite number) sound, or BadRecord."""
    if not isinstance(data, dict):
        raise BadRecord("an event is not a JSON object")
    out = dict(data)
    out["type"] = _text(data.get("type"), "type", 64)
    out["call_id"] = _text(data.get("call_id"), "call_id", MAX_ID)
    out["ts"] = _number(data.get("ts"), "ts", 0.0)
    for name in ("text", "label", "reason", "state", "remote", "direction", "locale", "worker", "target"):
        if name in data:
            out[name] = _text(data[name], name)
    for name in NUMBERS.get(out["type"], ()):
        if name in data:
            out[name] = _number(data[name], name, 0.0)
    for name in ("customer", "outcome"):
        if name in data and data[name] is not None and not isinstance(data[name], dict):
            raise BadRecord(f"{name} is not an object")
    if isinstance(data.get("customer"), dict):  # shown on every row: scalars only, each cut short
        out["customer"] = {str(k)[:64]: (v[:500] if isinstance(v, str) else v)
                           for k, v in list(data["customer"].items())[:50]
                           if v is None or isinstance(v, (str, int, float, bool))}
    if "tags" in data and not isinstance(data["tags"], list):
        raise BadRecord("tags is not a list")
    return out


def clean_transcript_line(line: Any) -> dict[str, Any]:
    if not isinstance(line, dict):
        raise BadRecord("a transcript line is not a JSON object")
    who = _text(line.get("who"), "who", 16)
    if who not in WHO:
        raise BadRecord(f"who is {who[:16]!r}, not one of {', '.join(WHO)}")
    start = _number(line.get("start"), "start")
    end = _number(line.get("end"), "end", start)
    if start < 0 or end < start:
        raise BadRecord(f"start/end out of order: {start}, {end}")
    out: dict[str, Any] = {"who": who, "text": _text(line.get("text"), "text"), "start": start, "end": end}
    if line.get("emotion"):
        out["emotion"] = _text(line["emotion"], "emotion", 32)
    if "confidence" in line:
        out["confidence"] = _number(line["confidence"], "confidence", 0.0)
    out["interrupted"] = bool(line.get("interrupted"))
    return out


def log_skipped(kind: str, where: str, error: Exception) -> None:
    _log.warning("console_record_skipped", kind=kind, where=where[:200], error=str(error)[:200])
