"""Accuracy on the generated held-out speakers (synthetic acted prosody; see docs/emotion.md).

Floors: prosody alone >= 0.75 and with words >= 0.80. Chance is 0.25 and always-"neutral" scores
0.41 here; the benchmark measures 0.87 / 0.90. The floors leave room for library/platform drift
(61 turns: one turn is 1.6 points) while still failing on any real regression.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from emotion import evaluate

from voicebot.emotion.calibrate import calibrate, turn_zscores
from voicebot.emotion.classifier import ProsodyModel


@pytest.fixture(scope="module")
def heldout(eval_rows):
    rows = [r for r in eval_rows if r["split"] == "heldout"]
    assert {r["speaker"] for r in rows} >= {"en_m2", "en_f2", "zh_m2", "piper_joe_high", "librivox"}
    return rows


def test_heldout_accuracy_prosody_only(heldout):
    result = evaluate(heldout, ProsodyModel.load(), use_lexical=False)
    assert result["accuracy"] >= 0.75, result
    assert min(result["recall"].values()) >= 0.5, result  # no class is given up


def test_heldout_accuracy_with_words(heldout):
    result = evaluate(heldout, ProsodyModel.load(), use_lexical=True)
    assert result["accuracy"] >= 0.80, result
    agitated = result["confusion"]["matrix"][2]
    assert agitated[2] >= 9, result  # of 12 agitated turns


def test_real_read_speech_is_never_agitated_or_withdrawn(heldout):
    """The labels the dialogue reacts to. (An expressive audiobook reader does read "positive" on
    2 of 5 turns: reported by the benchmark, not hidden.)"""
    real = [r for r in heldout if r["speaker"] == "librivox"]
    result = evaluate(real, ProsodyModel.load(), use_lexical=False)
    matrix = np.array(result["confusion"]["matrix"])
    assert matrix[0, 2] == 0 and matrix[0, 3] == 0, result
    assert matrix[0, 0] >= 3, result


def test_packaged_model_is_the_fit_on_the_calibration_split(eval_rows):
    """The packaged weights are what `calibrate` fits on the calibration split.

    The set is synthesised by espeak-ng, Piper and sox, whose output drifts in the last digits
    between library builds, so a refit on another machine moves coefficients by a few hundredths
    (up to 0.055 seen). Equal coefficients are not the product's property; equal decisions are:
    both models must label the turns alike, and the weights must still be the same fit."""
    fitted = calibrate([r for r in eval_rows if r["split"] == "calibration"])
    packaged = ProsodyModel.load()
    assert fitted.features == packaged.features
    np.testing.assert_allclose(fitted.coef, packaged.coef, atol=0.15)
    np.testing.assert_allclose(fitted.intercept, packaged.intercept, atol=0.15)
    turns = [z for _, z in turn_zscores(eval_rows) if z is not None]
    same = sum(int(np.argmax(fitted.logits(z))) == int(np.argmax(packaged.logits(z))) for z in turns)
    assert same / len(turns) >= 0.95, f"refit and packaged models agree on {same} of {len(turns)} turns"
