"""The console's audit trail: who logged in, listened, downloaded, intervened or reviewed what.

Every entry goes to the log (``console_audit``) and to one of two Redis trails, each with its own
retention, so that no user's activity can push a security-relevant entry out:

- ``security`` (logins, listening, playing and downloading recordings, whispers, transfers,
  hang-ups, barge-ins, exports, campaign controls): trimmed by age only, never by count.
- ``activity`` (QA flags, scores and comments: what any reviewer may post often): capped by
  count and by age.

Each trail is a stream plus sorted-set indexes (all entries, and by action, user and call; scored by
stream id), so a filter pages over the whole retained trail. Writing the trail never fails the action it records: a
Redis error is logged and the action goes on.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

from voicebot.logs import get_logger

_log = get_logger("voicebot.console.audit")

# Actions, one table: the trail each goes to; the audit page filters on these names and labels them
# (i18n keys audit.<action>).
ACTIVITY_ACTIONS = ("flag", "unflag", "comment", "score")
SECURITY_ACTIONS = ("login", "login_refused", "login_locked", "login_throttled", "logout", "listen", "play",
                    "download", "whisper", "barge", "phone_listen", "transfer", "hang_up", "export", "campaign",
                    "campaign_controls", "whisper_not_understood")
ACTIONS = SECURITY_ACTIONS + ACTIVITY_ACTIONS
FILTERS = ("action", "user", "call_id")
TRIM_EVERY = 200  # writes between retention passes


@dataclass(frozen=True)
class Trail:
    name: str
    stream: str
    retention_days: int
    max_entries: int | None  # None: by age only (nobody's volume may push an entry out)

    def index(self, kind: str, value: str) -> str:
        return f"{self.stream}:idx:{kind}:{value}"

    @property
    def indexes(self) -> str:
        return f"{self.stream}:indexes"  # set of this trail's index keys, for retention


SECURITY = Trail("security", "voicebot:console:audit", 400, None)
ACTIVITY = Trail("activity", "voicebot:console:audit:activity", 90, 100_000)
TRAILS = (SECURITY, ACTIVITY)


def trail_of(action: str) -> Trail:
    return ACTIVITY if action in ACTIVITY_ACTIONS else SECURITY


@dataclass
class AuditEntry:
    action: str
    user: str
    source: str = ""
    call_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)


def _score(entry_id: str) -> int:
    """A stream id as one exact sortable number (ms * 1000 + sequence; a double holds it exactly)."""
    ms, _, seq = entry_id.partition("-")
    return int(ms) * 1000 + min(int(seq or 0), 999)


_writes = 0


def record(client: redis.Redis, entry: AuditEntry) -> None:
    global _writes
    if entry.action not in ACTIONS:
        raise ValueError(f"unknown audit action {entry.action!r}")
    _log.info("console_audit", **{k: v for k, v in asdict(entry).items() if k != "ts"})
    trail = trail_of(entry.action)
    try:
        entry_id = client.xadd(trail.stream, {"json": json.dumps(asdict(entry), ensure_ascii=False)},
                               **({"maxlen": trail.max_entries, "approximate": True} if trail.max_entries else {}))
        score = _score(entry_id)
        pipe = client.pipeline(transaction=False)
        for kind, value in (("all", "*"), ("action", entry.action), ("user", entry.user),
                            ("call_id", entry.call_id)):
            if value:
                key = trail.index(kind, value[:200])
                pipe.zadd(key, {entry_id: score})
                pipe.sadd(trail.indexes, key)
        pipe.execute()
        _writes += 1
        if _writes % TRIM_EVERY == 1:
            trim(client)
    except redis.RedisError as exc:
        _log.warning("console_audit_redis_error", action=entry.action, error=str(exc))


def trim(client: redis.Redis, now: float | None = None) -> None:
    """Each trail's retention: entries older than its age go, and so do index members of entries the
    stream no longer holds (by age, or the activity trail's count cap)."""
    now = time.time() if now is None else now
    for trail in TRAILS:
        cutoff_ms = int((now - trail.retention_days * 86400) * 1000)
        client.xtrim(trail.stream, minid=f"{cutoff_ms}-0", approximate=False)
        oldest = client.xrange(trail.stream, count=1)
        floor = _score(oldest[0][0]) if oldest else _score(f"{int(now * 1000)}-999")
        keys = list(client.smembers(trail.indexes))
        pipe = client.pipeline(transaction=False)
        for key in keys:  # one round trip for all of them: a trail has an index per call
            pipe.zremrangebyscore(key, "-inf", f"({floor}")
            pipe.exists(key)
        gone = [key for key, exists in zip(keys, pipe.execute()[1::2]) if not exists]
        if gone:
            client.srem(trail.indexes, *gone)


@dataclass
class AuditPage:
    entries: list[dict[str, Any]]
    next_before: str | None  # pass as ``before`` for the next (older) page; None: no more


def page(client: redis.Redis, limit: int = 100, before: str = "", action: str = "", user: str = "",
         call_id: str = "") -> AuditPage:
    """Newest first, ``limit`` entries older than the ``before`` cursor, over both trails; each filter
    uses its index, so an entry matches however many newer entries there are."""
    filters = {k: v for k, v in (("action", action), ("user", user), ("call_id", call_id)) if v}
    top = f"({before}" if before else "+inf"
    found: list[tuple[int, str, Trail]] = []
    for trail in TRAILS:
        if action and trail is not trail_of(action):
            continue
        keys = [trail.index(k, v[:200]) for k, v in filters.items()] or [trail.index("all", "*")]
        if len(keys) == 1:
            ids = client.zrevrangebyscore(keys[0], top, "-inf", start=0, num=limit, withscores=True)
        else:
            tmp = f"{trail.stream}:tmp:{time.monotonic_ns()}"
            pipe = client.pipeline(transaction=True)
            pipe.zinterstore(tmp, keys, aggregate="MAX")
            pipe.zrevrangebyscore(tmp, top, "-inf", start=0, num=limit, withscores=True)
            pipe.delete(tmp)
            ids = pipe.execute()[1]
        found += [(int(score), entry_id, trail) for entry_id, score in ids]
    found.sort(key=lambda x: x[0], reverse=True)
    found = found[:limit]
    pipe = client.pipeline(transaction=False)
    for _, entry_id, trail in found:
        pipe.xrange(trail.stream, min=entry_id, max=entry_id)
    entries = []
    for (score, entry_id, trail), hit in zip(found, pipe.execute()):
        item = _load(hit[0][1] if hit else {})
        if item is not None:
            entries.append({"id": entry_id, "cursor": str(score), "trail": trail.name, **item})
    return AuditPage(entries, str(found[-1][0]) if len(found) == limit else None)


def _load(fields: dict[str, str]) -> dict[str, Any] | None:
    try:
        item = json.loads(fields.get("json") or "null")
    except ValueError:
        return None
    return item if isinstance(item, dict) else None


def recent(client: redis.Redis, count: int = 500, action: str = "", user: str = "",
           call_id: str = "") -> list[dict[str, Any]]:
    """The newest ``count`` matching entries (one page)."""
    return page(client, count, "", action, user, call_id).entries
