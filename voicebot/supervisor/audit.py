"""The console's audit trail: who logged in, listened, downloaded, intervened or reviewed what.

Every entry goes to the log (``console_audit``) and to a Redis stream (``voicebot:console:audit``,
capped at ``MAX_ENTRIES``) that the audit page reads. Writing the trail never fails the action it
records: a Redis error is logged and the action goes on.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

from voicebot.logs import get_logger

STREAM = "voicebot:console:audit"
MAX_ENTRIES = 100_000
_log = get_logger("voicebot.console.audit")

# Actions, one table: the audit page filters on these names and labels them (i18n keys audit.<action>).
ACTIONS = ("login", "login_refused", "login_locked", "login_throttled", "logout", "listen", "play", "download",
           "whisper", "barge", "phone_listen", "transfer", "hang_up", "flag", "unflag", "comment", "score",
           "export", "campaign", "campaign_controls", "whisper_not_understood")


@dataclass
class AuditEntry:
    action: str
    user: str
    source: str = ""
    call_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)


def record(client: redis.Redis, entry: AuditEntry) -> None:
    if entry.action not in ACTIONS:
        raise ValueError(f"unknown audit action {entry.action!r}")
    _log.info("console_audit", **{k: v for k, v in asdict(entry).items() if k != "ts"})
    try:
        client.xadd(STREAM, {"json": json.dumps(asdict(entry), ensure_ascii=False)}, maxlen=MAX_ENTRIES,
                    approximate=True)
    except redis.RedisError as exc:
        _log.warning("console_audit_redis_error", action=entry.action, error=str(exc))


def recent(client: redis.Redis, count: int = 500, action: str = "", user: str = "",
           call_id: str = "") -> list[dict[str, Any]]:
    out = []
    for entry_id, fields in client.xrevrange(STREAM, count=max(count * 4, count) if (action or user or call_id)
                                             else count):
        try:
            item = json.loads(fields.get("json") or "{}")
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        if (action and item.get("action") != action) or (user and item.get("user") != user) or \
                (call_id and item.get("call_id") != call_id):
            continue
        out.append({"id": entry_id, **item})
        if len(out) >= count:
            break
    return out
