"""When the FAQ answers: the acceptance rule and its leave-one-out calibration.

A turn is answered from its nearest entry only when three things hold: the match is close enough
(score), clearly closer than the nearest question the FAQ does *not* answer (the file's
``not_answered_examples``), and clearly closer than the next entry. A near-miss like "do you ship
to Canada" is close to "is shipping free", but closer still to "do you ship overseas"; two entries
at the same distance mean the retriever cannot tell which answer is meant.

The three thresholds are chosen together by leave-one-out (each phrasing against all the others,
each not-answered example against the other ones, plus the plan's out-of-scope examples), minimising
    missed-or-wrong in-FAQ rate + 0.5 x wrong-answer rate + outside-answered rate,
so that declining an outside question counts as much as answering an inside one right, and a wrong
answer costs more than a polite "I don't know".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCORE_GRID = np.round(np.arange(0.3, 1.3, 0.01), 3)
NEGATIVE_MARGIN_GRID = np.round(np.arange(-0.2, 0.31, 0.02), 3)
SECOND_MARGIN_GRID = np.round(np.arange(0.0, 0.13, 0.02), 3)
# Extra cost of a wrong answer over a decline (it is already a miss).
WRONG_WEIGHT = 0.5
NEAR_BEST = 0.02  # LOO cost units


@dataclass(frozen=True)
class FaqDecision:
    min_score: float  # on the retriever's scale (embedding cosine + weighted n-gram cosine)
    over_negative: float  # best entry score minus the nearest not-answered question's score
    over_second: float  # best entry score minus the next entry's score
    cost: float = 0.0  # leave-one-out cost at these thresholds

    def accepts(self, score: float, negative: float, second: float, extra: float = 0.0) -> bool:
        return (score >= self.min_score + extra and score - negative >= self.over_negative
                and score - second >= self.over_second)


@dataclass(frozen=True)
class Candidates:
    """Per turn: the best entry's score, whether it is the right one (in-FAQ rows), the nearest
    not-answered question's score and the next entry's score."""
    score: np.ndarray
    right: np.ndarray  # bool; all False for outside rows
    negative: np.ndarray
    second: np.ndarray


def calibrate_decision(inside: Candidates, outside: Candidates) -> FaqDecision:
    n_in, n_out = max(1, len(inside.score)), max(1, len(outside.score))
    found = []  # (cost, outside answered, in-FAQ right, decision)
    for a in NEGATIVE_MARGIN_GRID:
        for b in SECOND_MARGIN_GRID:
            ok_in = ((inside.score - inside.negative) >= a) & ((inside.score - inside.second) >= b)
            ok_out = ((outside.score - outside.negative) >= a) & ((outside.score - outside.second) >= b)
            # (thresholds, rows) acceptance for every score threshold at once
            acc_in = ok_in[None, :] & (inside.score[None, :] >= SCORE_GRID[:, None])
            acc_out = ok_out[None, :] & (outside.score[None, :] >= SCORE_GRID[:, None])
            right = (acc_in & inside.right[None, :]).sum(1)
            wrong = (acc_in & ~inside.right[None, :]).sum(1)
            answered_out = acc_out.sum(1)
            cost = (n_in - right) / n_in + WRONG_WEIGHT * wrong / n_in + answered_out / n_out
            for k in range(len(SCORE_GRID)):
                found.append((float(cost[k]), int(answered_out[k]), int(right[k]),
                              (float(SCORE_GRID[k]), float(a), float(b))))
    # The cost surface is flat near its minimum, and which near-best point is lowest moves with every
    # phrasing added: among those within NEAR_BEST of the best, decline the most outside questions,
    # then answer the most right.
    best = min(c for c, *_ in found)
    cost, _, _, (t, a, b) = min((f for f in found if f[0] <= best + NEAR_BEST), key=lambda f: (f[1], -f[2], f[0]))
    return FaqDecision(t, a, b, cost)
