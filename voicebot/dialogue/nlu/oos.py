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

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE

PROBABILITY_GRID = np.round(np.arange(0.0, 0.71, 0.025), 3)
SIMILARITY_GRID = np.round(np.arange(0.0, 0.81, 0.025), 3)
FOLDS = 5


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
    from voicebot.dialogue.nlu.embedded import LinearIntentModel, fit_one_vs_rest, probabilities

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


def accepted(p: CrossValPrediction, min_probability: float, min_similarity: float) -> bool:
    return p.predicted != OUT_OF_SCOPE and p.probability >= min_probability and p.similarity >= min_similarity


def rates(preds: list[CrossValPrediction], min_probability: float, min_similarity: float) -> tuple[float, float]:
    """(false-accept rate over out-of-scope examples, false-reject rate over in-scope ones the model got right)."""
    oos = [p for p in preds if p.gold == OUT_OF_SCOPE]
    right = [p for p in preds if p.gold != OUT_OF_SCOPE and p.predicted == p.gold]
    fa = sum(accepted(p, min_probability, min_similarity) for p in oos) / len(oos) if oos else 0.0
    fr = sum(not accepted(p, min_probability, min_similarity) for p in right) / len(right) if right else 0.0
    return fa, fr


def choose_thresholds(preds: list[CrossValPrediction], has_embedding: bool) -> tuple[float, float]:
    """Grid search of (min probability, min similarity) minimising false-accept + false-reject rate."""
    sims = SIMILARITY_GRID if has_embedding else np.array([0.0])
    is_oos = np.array([p.gold == OUT_OF_SCOPE for p in preds])
    right = np.array([p.gold != OUT_OF_SCOPE and p.predicted == p.gold for p in preds])
    intent = np.array([p.predicted != OUT_OF_SCOPE for p in preds])
    prob = np.array([p.probability for p in preds])
    sim = np.array([p.similarity for p in preds])
    # accepted[i, a, b] for probability threshold a and similarity threshold b
    acc = intent[:, None, None] & (prob[:, None, None] >= PROBABILITY_GRID[None, :, None]) & \
        (sim[:, None, None] >= sims[None, None, :])
    fa = acc[is_oos].mean(axis=0) if is_oos.any() else np.zeros(acc.shape[1:])
    fr = (~acc[right]).mean(axis=0) if right.any() else np.zeros(acc.shape[1:])
    cost = fa + fr
    # The lowest cost; among ties the most permissive thresholds (first in grid order).
    a, b = np.unravel_index(int(np.argmin(np.round(cost, 9))), cost.shape)
    return float(PROBABILITY_GRID[a]), float(sims[b])


def calibrate_thresholds(texts: list[str], raw: list[str], labels: list[str], locale: str,
                         emb: np.ndarray | None, c: float = 5.0) -> tuple[float, float]:
    preds = cross_val_predictions(texts, labels, locale, emb, c)
    return choose_thresholds(preds, emb is not None)
