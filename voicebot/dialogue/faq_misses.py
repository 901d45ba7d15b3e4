"""Questions the FAQ could not answer, counted per campaign, for the operator to add to the FAQ.

The campaign worker records a call's ``unanswered_questions`` (from the dialogue outcome) in the
same Redis transaction as the call result; the report and the console read the list with
:func:`unanswered_questions`. The same question asked with other punctuation, case or spacing counts
once; the first wording seen is the one shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import redis

from voicebot.store.keys import CampaignKeys

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)
MAX_QUESTION_CHARS = 200


@dataclass(frozen=True)
class UnansweredQuestion:
    text: str  # as first asked
    count: int


def question_key(text: str) -> str:
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def record_unanswered(pipe: redis.client.Pipeline | redis.Redis, campaign: str, questions: Iterable[str]) -> None:
    """Adds one to each question's count (in ``pipe``'s transaction when it is a pipeline)."""
    ck = CampaignKeys(campaign)
    for q in questions:
        q = q.strip()[:MAX_QUESTION_CHARS]
        key = question_key(q)
        if not key:
            continue
        pipe.zincrby(ck.faq_unanswered, 1, key)
        pipe.hsetnx(ck.faq_unanswered_text, key, q)


def unanswered_questions(client: redis.Redis, campaign: str, limit: int = 100) -> list[UnansweredQuestion]:
    """Most asked first (ties: alphabetical)."""
    ck = CampaignKeys(campaign)
    rows = client.zrevrangebyscore(ck.faq_unanswered, "+inf", 1, start=0, num=limit, withscores=True)
    rows = sorted(rows, key=lambda r: (-r[1], r[0]))
    if not rows:
        return []
    texts = client.hmget(ck.faq_unanswered_text, [k for k, _ in rows])
    return [UnansweredQuestion((t or k).decode() if isinstance(t or k, bytes) else (t or k), int(n))
            for (k, n), t in zip(rows, texts)]
