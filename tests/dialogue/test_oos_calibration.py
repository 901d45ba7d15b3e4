"""Out-of-scope calibration (voicebot/dialogue/nlu/oos.py) on hand-made cross-validation
predictions: with no trade-off between them, in-scope lines stay in and out-of-scope lines stay out.

Averaging the false-reject rate over intents instead of examples (so a plan's small own intent weighs
as much as a big inherited one) was tried on the dev sets and dropped: with the enlarged everyday
library it gained nothing on the business plans' dev sets and let more of a fresh set of off-topic
lines through (benchmarks/nlu_dev.py, offtopic_*).

Steadiness: thresholds chosen once on the cross-validated predictions jumped for small changes of the
data (the zh sample plan's sure probability 0.55 -> 0.8 with ~50 more library examples); the choice
is now bagged over bootstrap reweightings and averaged, and an example's fold and weights follow from
its text."""

from __future__ import annotations

import numpy as np
import pytest

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.oos import (
    REPLICATES,
    CrossValPrediction,
    Thresholds,
    bootstrap_weights,
    choose_thresholds,
    text_key,
)


def _rows(gold: str, n: int, probability: float, similarity: float, predicted: str | None = None):
    return [CrossValPrediction(gold, predicted or gold, probability, similarity)] * n


def test_with_no_trade_off_the_out_of_scope_lines_stay_out():
    preds = _rows("affirm", 60, 0.9, 0.9) + _rows("renew", 3, 0.5, 0.5) + _rows(OUT_OF_SCOPE, 20, 0.3, 0.3, "affirm")
    th = choose_thresholds(preds, has_embedding=True)
    assert th.accepts(0.5, 0.5) and th.accepts(0.9, 0.9) and not th.accepts(0.3, 0.3)


def _synthetic_predictions(seed: int) -> list[CrossValPrediction]:
    """A plan-sized set of cross-validated predictions: 1200 in scope (15 intents, 5 % confused), 120
    out of scope (40 % of them recognised as such), probabilities and similarities overlapping."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(1200):
        gold = f"intent{i % 15}"
        p = float(rng.beta(6, 1.5))
        s = float(np.clip(rng.normal(0.55 + 0.35 * p, 0.12), 0, 1))
        predicted = gold if rng.random() > 0.05 else f"intent{(i + 1) % 15}"
        out.append(CrossValPrediction(gold, predicted, p, s, int(rng.integers(2**32))))
    for i in range(120):
        p = float(rng.beta(3, 2.5))
        s = float(np.clip(rng.normal(0.5, 0.12), 0, 1))
        predicted = OUT_OF_SCOPE if rng.random() < 0.4 else f"intent{i % 15}"
        out.append(CrossValPrediction(OUT_OF_SCOPE, predicted, p, s, int(rng.integers(2**32))))
    return out


def _largest_move(preds: list[CrossValPrediction], replicates: int, drops: int = 6) -> float:
    """How far any threshold moves when 5 % of the examples are dropped at random (the worst of ``drops``)."""
    def as_array(th: Thresholds) -> np.ndarray:
        return np.array([th.min_probability, th.min_similarity, th.sure_probability])

    full = as_array(choose_thresholds(preds, True, replicates))
    rng = np.random.default_rng(7)
    moves = []
    for _ in range(drops):
        kept = [p for p in preds if rng.random() > 0.05]
        moves.append(np.abs(as_array(choose_thresholds(kept, True, replicates)) - full).max())
    return float(max(moves))


MOVE_BOUND = 0.1  # the largest any threshold may move when 5 % of the examples are dropped


@pytest.mark.parametrize("seed", [1, 2])
def test_dropping_five_percent_of_the_examples_moves_the_thresholds_a_little(seed):
    # One choice on the predictions as they are (the calibration before bagging) jumps between corners
    # of a flat cost surface: 0.2-0.3 here, up to 0.45 on the zh sample plan. The bagged choice does not.
    preds = _synthetic_predictions(seed)
    assert _largest_move(preds, replicates=1) > MOVE_BOUND
    assert _largest_move(preds, replicates=REPLICATES) < MOVE_BOUND


def test_an_examples_fold_and_weights_do_not_depend_on_the_other_examples():
    texts = ["我在开车", "好的", "不需要", "你是哪里", "多少钱"]
    keys = [text_key(t) for t in texts]
    preds = [CrossValPrediction("a", "a", 0.9, 0.9, k) for k in keys]
    all_weights = bootstrap_weights(preds, REPLICATES)
    some_weights = bootstrap_weights(preds[2:], REPLICATES)
    assert np.array_equal(all_weights[2:], some_weights)
    assert (all_weights[:, 0] == 1).all()  # replicate 0 is the data as it is
