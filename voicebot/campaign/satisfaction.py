"""Customer satisfaction, two figures never mixed: what customers said, and what we infer.

CSAT: from the post-call survey (``csat`` 1-5 in a call's result): the share answering 4 or 5,
as a 0-100 score against the seed's target (客户满意度 >= 85), with n. Inferred: a 0-100 score per
human-answered call from its emotion trajectory and outcome (below); an estimate, shown apart.

Inferred score per call: 70 to start; the last turn's emotion: positive +15, withdrawn -15,
agitated -30; recovered (agitated earlier, calm at the end) +10; converted +10, intent A/B +5;
opt-out -20; complaint caps it at 20; clipped to 0-100.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voicebot.dialogue.survey import rating_class

_LAST = {"positive": 15.0, "neutral": 0.0, "withdrawn": -15.0, "agitated": -30.0}


@dataclass(frozen=True)
class Satisfaction:
    csat_n: int = 0
    csat_score: float | None = None  # % answering 4-5
    csat_mean: float | None = None  # mean of 1-5
    csat_counts: tuple[int, ...] = (0, 0, 0, 0, 0)
    inferred_n: int = 0
    inferred_score: float | None = None


def inferred_score(result: dict[str, Any]) -> float | None:
    if result.get("answered_by") != "human":
        return None
    emotions = [e for e in result.get("emotions") or [] if e]
    score = 70.0
    if emotions:
        score += _LAST.get(emotions[-1], 0.0)
        if "agitated" in emotions[:-1] and emotions[-1] in ("neutral", "positive"):
            score += 10.0
    if result.get("converted"):
        score += 10.0
    elif result.get("intent_grade") in ("A", "B"):
        score += 5.0
    if result.get("do_not_call"):
        score -= 20.0
    if result.get("complaint"):
        score = min(score, 20.0)
    return max(0.0, min(100.0, score))


def satisfaction(results: list[dict[str, Any]]) -> Satisfaction:
    answers = [r["result"].get("csat") for r in results]
    answers = [int(a) for a in answers if isinstance(a, int) and 1 <= a <= 5]
    inferred = [s for s in (inferred_score(r["result"]) for r in results) if s is not None]
    counts = tuple(answers.count(i) for i in range(1, 6))
    return Satisfaction(
        csat_n=len(answers),
        csat_score=100.0 * sum(1 for a in answers if rating_class(a) == "satisfied") / len(answers) if answers else None,
        csat_mean=sum(answers) / len(answers) if answers else None,
        csat_counts=counts,
        inferred_n=len(inferred),
        inferred_score=sum(inferred) / len(inferred) if inferred else None,
    )
