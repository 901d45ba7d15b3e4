"""Quality review of recorded calls: a flag, a scorecard and comments per recording, in Redis.

Keys: ``voicebot:qa:<day>:<call id>`` (hash: flagged_by, flagged_at, score JSON) and
``voicebot:qa:<day>:<call id>:comments`` (list of JSON comments), plus the set ``voicebot:qa:flagged``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from voicebot.supervisor.errors import Invalid, Label

# The scorecard: criteria (i18n keys qa.criterion.<name>) and the points each is worth.
CRITERIA: dict[str, int] = {"greeting": 2, "accuracy": 3, "compliance": 3, "tone": 1, "resolution": 3}
FLAGGED = "voicebot:qa:flagged"
MAX_COMMENT = 2000


def _key(day: str, call_id: str) -> str:
    return f"voicebot:qa:{day}:{call_id}"


def review(client: redis.Redis, day: str, call_id: str) -> dict[str, Any]:
    raw = client.hgetall(_key(day, call_id))
    from voicebot.store.records import BadRecord, load_json, log_skipped

    comments = []
    for item in client.lrange(_key(day, call_id) + ":comments", 0, 500):
        try:
            comment = load_json(item, "comment")
        except BadRecord as exc:
            log_skipped("qa comment", f"{day}/{call_id}", exc)
            continue
        if isinstance(comment, dict) and isinstance(comment.get("text"), str):
            comments.append(comment)
    try:
        score = json.loads(raw.get("score") or "{}")
    except ValueError:
        score = {}
    return {"flagged": bool(raw.get("flagged_by")), "flagged_by": raw.get("flagged_by", ""),
            "score": score if isinstance(score, dict) else {}, "criteria": CRITERIA, "comments": comments}


def set_flag(client: redis.Redis, day: str, call_id: str, user: str, flagged: bool) -> None:
    member = f"{day}/{call_id}"
    if flagged:
        client.hset(_key(day, call_id), mapping={"flagged_by": user, "flagged_at": time.time()})
        client.sadd(FLAGGED, member)
    else:
        client.hdel(_key(day, call_id), "flagged_by", "flagged_at")
        client.srem(FLAGGED, member)


def is_flagged(client: redis.Redis, day: str, call_id: str) -> bool:
    return bool(client.sismember(FLAGGED, f"{day}/{call_id}"))


def set_score(client: redis.Redis, day: str, call_id: str, user: str, points: dict[str, int]) -> dict[str, Any]:
    clean = {}
    for name, value in points.items():
        if name not in CRITERIA:
            raise Invalid("unknown_criterion", name=str(name)[:64])
        if not isinstance(value, int) or not 0 <= value <= CRITERIA[name]:
            raise Invalid("bad_points", label=Label("qa.criterion", name), max=CRITERIA[name], value=value)
        clean[name] = value
    score = {"points": clean, "total": sum(clean.values()), "max": sum(CRITERIA.values()), "by": user,
             "at": time.time()}
    client.hset(_key(day, call_id), "score", json.dumps(score))
    return score


def add_comment(client: redis.Redis, day: str, call_id: str, user: str, text: str) -> dict[str, Any]:
    text = text.strip()
    if not text:
        raise Invalid("comment_empty")
    comment = {"user": user, "text": text[:MAX_COMMENT], "at": time.time()}
    client.rpush(_key(day, call_id) + ":comments", json.dumps(comment, ensure_ascii=False))
    return comment
