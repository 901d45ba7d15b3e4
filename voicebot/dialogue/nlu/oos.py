"""Out-of-scope thresholds calibrated on the training data, never set by hand.

K-fold cross-validation over the plan's intent examples and out-of-scope examples gives, for every
example, what a model that never saw it predicts: the best intent, its probability, and the cosine
similarity to the nearest training example of that intent. Two thresholds (minimum probability,
minimum similarity) are then chosen to minimise false-accept rate + false-reject rate on those
predictions (false accept: an out-of-scope example taken as an intent; false reject: an in-scope
example the model got right but the thresholds turned away).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicebot.dialogue.nlu.base import FAQ_INTENT, OUT_OF_SCOPE
from voicebot.dialogue.nlu.linear_model import LinearIntentModel, fit_one_vs_rest, probabilities

PROBABILITY_GRID = np.round(np.arange(0.0, 0.71, 0.025), 3)
SIMILARITY_GRID = np.round(np.arange(0.0, 0.81, 0.025), 3)
FOLDS = 5
# Thresholds whose cross-validated cost (false-accept + false-reject rate) is within this much of the
# best are equally good on a few dozen out-of-scope examples; of those the calibration keeps the one
# that turns away the fewest in-scope turns. Callees phrase things further from the examples than the
# examples are from each other, so the strictest of near-equal thresholds rejects real answers
# (最近手头紧不买了, "money is tight right now") that the classifier got right.
COST_TOLERANCE = 0.03


@dataclass(frozen=True)
class CrossValPrediction:
    gold: str
    predicted: str  # best class (may be OUT_OF_SCOPE)
    probability: float
    similarity: float  # to the nearest training example of `predicted`; 1.0 without embeddings


def cross_val_predictions(texts: list[str], labels: list[str], locale: str, emb: np.ndarray | None,
                          c: float = 5.0, folds: int = FOLDS, seed: int = 0) -> list[CrossValPrediction]:
    """K-fold predictions. The n-gram vocabulary and IDF come from all texts (no labels involved), so
    each fold only refits the logistic regressions: a few tenths of a second in all."""
    n = len(texts)
    order = np.random.default_rng(seed).permutation(n)
    fold_of = np.empty(n, int)
    fold_of[order] = np.arange(n) % folds
    labels_arr = np.array(labels, dtype=object)
    feats = LinearIntentModel.featurizer(texts, locale).features(texts, emb)
    out: list[CrossValPrediction | None] = [None] * n
    for k in range(folds):
        train = np.flatnonzero(fold_of != k)
        test = np.flatnonzero(fold_of == k)
        if len(set(labels_arr[train])) < 2 or not len(test):
            continue
        classes, w, b = fit_one_vs_rest(feats[train], list(labels_arr[train]), c)
        probs = probabilities(feats[test], w, b)
        for row, i in enumerate(test):
            j = int(np.argmax(probs[row]))
            pred = classes[j]
            sim = 1.0
            if emb is not None and pred != OUT_OF_SCOPE:
                own = train[labels_arr[train] == pred]
                sim = float((emb[own] @ emb[i]).max()) if len(own) else 0.0
            out[i] = CrossValPrediction(labels[i], pred, float(probs[row, j]), sim)
    # A fold with a single class (a degenerate plan) predicts nothing: count those as right.
    return [p if p is not None else CrossValPrediction(labels[i], labels[i], 1.0, 1.0) for i, p in enumerate(out)]


@dataclass(frozen=True)
class Thresholds:
    """An intent is accepted when its probability is at least ``min_probability`` and either the
    utterance is within ``min_similarity`` (cosine) of one of the intent's examples, or the model is
    at least ``sure_probability`` sure (diverse intents such as complaints have far-apart examples)."""

    min_probability: float = 0.0
    min_similarity: float = 0.0
    sure_probability: float = 1.01  # > 1: never

    def accepts(self, probability: float, similarity: float) -> bool:
        return probability >= self.min_probability and (
            similarity >= self.min_similarity or probability >= self.sure_probability)


SURE_GRID = np.round(np.append(np.arange(0.5, 1.0, 0.05), 1.01), 3)


def _calibration_rows(preds: list[CrossValPrediction]) -> list[CrossValPrediction]:
    # FAQ questions are left out: accepted or not, such a turn goes to the FAQ retriever, which has
    # its own calibrated threshold (faq.py).
    return [p for p in preds if p.gold != FAQ_INTENT and p.predicted != FAQ_INTENT]


def rates(preds: list[CrossValPrediction], th: Thresholds) -> tuple[float, float]:
    """(false-accept rate over out-of-scope examples, false-reject rate over in-scope ones the model got right)."""
    preds = _calibration_rows(preds)
    oos = [p for p in preds if p.gold == OUT_OF_SCOPE]
    right = [p for p in preds if p.gold != OUT_OF_SCOPE and p.predicted == p.gold]
    acc = lambda p: p.predicted != OUT_OF_SCOPE and th.accepts(p.probability, p.similarity)  # noqa: E731
    fa = sum(acc(p) for p in oos) / len(oos) if oos else 0.0
    fr = sum(not acc(p) for p in right) / len(right) if right else 0.0
    return fa, fr


def choose_thresholds(preds: list[CrossValPrediction], has_embedding: bool) -> Thresholds:
    """Grid search minimising false-accept + false-reject rate; among costs within COST_TOLERANCE of
    the minimum, the fewest false rejects (then the fewest false accepts) win."""
    preds = _calibration_rows(preds)
    sims = SIMILARITY_GRID if has_embedding else np.array([0.0])
    sures = SURE_GRID if has_embedding else np.array([1.01])
    is_oos = np.array([p.gold == OUT_OF_SCOPE for p in preds])
    right = np.array([p.gold != OUT_OF_SCOPE and p.predicted == p.gold for p in preds])
    intent = np.array([p.predicted != OUT_OF_SCOPE for p in preds])
    prob = np.array([p.probability for p in preds])[:, None, None, None]
    sim = np.array([p.similarity for p in preds])[:, None, None, None]
    acc = intent[:, None, None, None] & (prob >= PROBABILITY_GRID[None, :, None, None]) & (
        (sim >= sims[None, None, :, None]) | (prob >= sures[None, None, None, :]))
    fa = acc[is_oos].mean(axis=0) if is_oos.any() else np.zeros(acc.shape[1:])
    fr = (~acc[right]).mean(axis=0) if right.any() else np.zeros(acc.shape[1:])
    cost = np.round(fa + fr, 9)
    near = cost <= cost.min() + COST_TOLERANCE + 1e-9
    # lexicographic: fewest false rejects, then fewest false accepts, then the lowest cost
    key = np.where(near, np.round(fr, 9) * 1e6 + np.round(fa, 9) * 1e3 + cost, np.inf)
    a, b, c = np.unravel_index(int(np.argmin(key)), cost.shape)
    return Thresholds(float(PROBABILITY_GRID[a]), float(sims[b]), float(sures[c]))


def calibrate_thresholds(texts: list[str], raw: list[str], labels: list[str], locale: str,
                         emb: np.ndarray | None, c: float = 5.0) -> Thresholds:
    preds = cross_val_predictions(texts, labels, locale, emb, c)
    return choose_thresholds(preds, emb is not None)
