"""The do-not-call list: one per call center, across campaigns, every change audited.

Redis: ``voicebot:dnc`` (set of E.164 numbers, what workers check before dialling),
``voicebot:dnc:info`` (number -> JSON: since, reason, by, call) and ``voicebot:dnc:audit`` (a
stream of every add / remove: when, number, reason, by whom: a user, or the call that asked).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal

import redis

from voicebot.store import keys

DNC_INFO = "voicebot:dnc:info"
DNC_AUDIT = "voicebot:dnc:audit"
# Add a number unless it is listed already for the same reason or a complaint (the strongest).
# KEYS: the set, reasons, info, audit. ARGV: number, reason, info JSON, audit JSON.
# Returns 0: nothing written, 1: reason updated, 2: newly listed.
_ADD_SCRIPT = """
local added = redis.call('SADD', KEYS[1], ARGV[1])
local old = redis.call('HGET', KEYS[2], ARGV[1])
if added == 0 and (old == ARGV[2] or old == 'complaint') then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('XADD', KEYS[4], '*', 'json', ARGV[4])
return added + 1
"""


@dataclass(frozen=True)
class DncEntry:
    number: str
    since: float
    reason: str
    by: str  # "user:<name>" or "call:<campaign>/<job>"
    call_id: str = ""


@dataclass(frozen=True)
class AuditEvent:
    at: float
    action: Literal["add", "remove"]
    number: str
    reason: str
    by: str
    call_id: str = ""


class DoNotCallList:
    """Numbers never to call again; ``stop_calling`` / complaint outcomes land here at once."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def add_in(self, pipe: redis.client.Pipeline, e164: str, reason: str, by: str, call_id: str = "",
               at: float | None = None) -> None:
        """Queues the add on ``pipe`` (the worker records it with the call, atomically)."""
        self._write(pipe, e164, reason, by, call_id, at)

    def add(self, e164: str, reason: str = "requested", by: str = "system", call_id: str = "") -> bool:
        """True if the number was not on the list yet. Idempotent: the same opt-out written twice (at
        once and again at call end) is one entry and one audit event; a stronger reason (complaint)
        updates the entry."""
        return self._write(self.client, e164, reason, by, call_id, None) == 2

    def _write(self, client: redis.Redis | redis.client.Pipeline, e164: str, reason: str, by: str, call_id: str,
               at: float | None) -> int | None:
        at = time.time() if at is None else at
        info = json.dumps({"since": at, "reason": reason, "by": by, "call_id": call_id}, ensure_ascii=False)
        audit = json.dumps({"at": at, "action": "add", "number": e164, "reason": reason, "by": by,
                            "call_id": call_id}, ensure_ascii=False)
        script = self.client.register_script(_ADD_SCRIPT)
        return script(keys=[keys.DNC, keys.DNC_REASONS, DNC_INFO, DNC_AUDIT], args=[e164, reason, info, audit],
                      client=client)

    def remove(self, e164: str, reason: str, by: str) -> bool:
        if not self.contains(e164):
            return False
        pipe = self.client.pipeline()
        pipe.srem(keys.DNC, e164)
        pipe.hdel(keys.DNC_REASONS, e164)
        pipe.hdel(DNC_INFO, e164)
        pipe.xadd(DNC_AUDIT, {"json": json.dumps({"at": time.time(), "action": "remove", "number": e164,
                                                  "reason": reason, "by": by, "call_id": ""}, ensure_ascii=False)})
        pipe.execute()
        return True

    def contains(self, e164: str) -> bool:
        return bool(self.client.sismember(keys.DNC, e164))

    def size(self) -> int:
        return int(self.client.scard(keys.DNC))

    def entries(self) -> list[DncEntry]:
        numbers = sorted(self.client.smembers(keys.DNC))
        infos = self.client.hmget(DNC_INFO, numbers) if numbers else []
        reasons = self.client.hmget(keys.DNC_REASONS, numbers) if numbers else []
        out = []
        for number, info, reason in zip(numbers, infos, reasons):
            data: dict[str, Any] = json.loads(info) if info else {"since": 0.0, "reason": reason or "", "by": ""}
            out.append(DncEntry(number, float(data.get("since", 0.0)), data.get("reason", ""), data.get("by", ""),
                                data.get("call_id", "")))
        return out

    def audit(self, number: str | None = None, limit: int = 10_000) -> list[AuditEvent]:
        events = []
        for _id, fields in self.client.xrange(DNC_AUDIT, count=limit):
            data = json.loads(fields["json"])
            if number is None or data["number"] == number:
                events.append(AuditEvent(data["at"], data["action"], data["number"], data["reason"], data["by"],
                                         data.get("call_id", "")))
        return events


def read_numbers(path) -> tuple[list[str], list[tuple[int, str, str]]]:
    """Numbers from a CSV/XLSX with a phone column, or a text file of one number a line:
    (E.164 numbers, problems as (line, cell text, reason))."""
    from pathlib import Path

    from voicebot.campaign.headers import detect_columns
    from voicebot.campaign.phones import PhoneError, normalise_phone
    from voicebot.campaign.tables import ImportFileError, decode_text, read_workbook

    path = Path(path)
    rows: list[tuple[int, str]] = []
    try:
        for sheet in read_workbook(path).sheets:
            cols = {m.field: m.column for m in detect_columns(sheet.header)}
            idx = sheet.header.index(cols.get("phone") or cols["phone_alt"])
            rows += [(line, str(cells[idx]) if idx < len(cells) else "") for line, cells in sheet.rows]
    except ImportFileError:
        if not path.exists() or path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            raise
        text, _enc = decode_text(path.read_bytes(), str(path))
        rows = [(i, line.split(",")[0].strip()) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    numbers, problems = [], []
    for line, raw in rows:
        raw = raw[:-2] if raw.endswith(".0") else raw
        try:
            numbers.append(normalise_phone(raw))
        except PhoneError as exc:
            problems.append((line, raw, str(exc)))
    return list(dict.fromkeys(numbers)), problems
