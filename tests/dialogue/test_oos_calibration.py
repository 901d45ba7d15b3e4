"""Out-of-scope calibration (voicebot/dialogue/nlu/oos.py) on hand-made cross-validation
predictions: what the grid search keeps when a small intent and the out-of-scope examples compete."""

from __future__ import annotations

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.oos import CrossValPrediction, choose_thresholds


def _rows(gold: str, n: int, probability: float, similarity: float, predicted: str | None = None):
    return [CrossValPrediction(gold, predicted or gold, probability, similarity)] * n


def _plan_with_a_small_intent() -> list[CrossValPrediction]:
    # An inherited everyday intent with 60 examples the model is sure of, a plan's own intent with 3
    # (paraphrases further from the few examples: lower probability and similarity), and 20
    # out-of-scope lines, 2 of which look more like an intent than the small intent's lines do.
    return (_rows("affirm", 60, 0.9, 0.9) + _rows("renew", 3, 0.5, 0.5)
            + _rows(OUT_OF_SCOPE, 18, 0.3, 0.3, "affirm") + _rows(OUT_OF_SCOPE, 2, 0.6, 0.6, "affirm"))


def test_a_small_intent_counts_as_much_as_a_big_one():
    th = choose_thresholds(_plan_with_a_small_intent(), has_embedding=True)
    # Averaged over examples, turning the small intent away would cost 3/63 = 5 % of false rejects,
    # less than the 10 % of false accepts letting it in costs: its every line would be rejected.
    # Averaged over intents it costs 50 %, so the thresholds let its lines in.
    assert th.accepts(0.5, 0.5)
    assert not th.accepts(0.3, 0.3)


def test_with_no_trade_off_the_out_of_scope_lines_stay_out():
    preds = _rows("affirm", 60, 0.9, 0.9) + _rows("renew", 3, 0.5, 0.5) + _rows(OUT_OF_SCOPE, 20, 0.3, 0.3, "affirm")
    th = choose_thresholds(preds, has_embedding=True)
    assert th.accepts(0.5, 0.5) and th.accepts(0.9, 0.9) and not th.accepts(0.3, 0.3)
