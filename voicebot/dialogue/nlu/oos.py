"""Out-of-scope thresholds calibrated on the training data, never set by hand.

K-fold cross-validation over the plan's intent examples and out-of-scope examples gives, for every
example, what a model that never saw it predicts: the best intent, its probability, and the cosine
similarity to the nearest training example of that intent. Two thresholds (minimum probability,
minimum similarity) are then chosen to minimise false-accept rate + false-reject rate on those
predictions (false accept: an out-of-scope example taken as an intent; false reject: an in-scope
example the model got right but the thresholds turned away).

Steadiness: a plan's thresholds should move a little when a few examples are added or removed. Two
things made them jump (the zh sample plan's sure probability went 0.55 -> 0.8 with ~50 more library
examples; dropping 5 % of its examples at random moved the minimum probability by up to 0.45):
- the folds were a random permutation of all examples, so one example more reshuffled every fold and
  every prediction; an example's fold is now a checksum of its text, so the others stay put;
- the choice is an argmin over a flat cost surface with ties broken lexicographically, which flips
  between far-apart corners for a change of one or two predictions. The choice is now bagged: made on
  REPLICATES bootstrap reweightings of the predictions (an example's Poisson weights follow from its
  text, so they too stay put when others change) and averaged.
"""

from __future__ import annotations

import zlib
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
# Bootstrap replicates of the threshold choice, averaged. With 32 the zh sample plan's thresholds move
# at most 0.12 / 0.02 / 0.06 (probability / similarity / sure) when 5 % of its examples are dropped,
# where a single choice moved 0.45 / 0.13 / 0.25; the replicates cost ~0.4 s for ~1800 examples.
REPLICATES = 32


@dataclass(frozen=True)
class CrossValPrediction:
    gold: str
    predicted: str  # best class (may be OUT_OF_SCOPE)
    probability: float
    similarity: float  # to the nearest training example of `predicted`; 1.0 without embeddings
    key: int = 0  # checksum of the example's text: its bootstrap weights follow from it (choose_thresholds)


def text_key(text: str, salt: int = 0) -> int:
    return zlib.crc32(text.encode("utf-8"), salt)


def cross_val_predictions(texts: list[str], labels: list[str], locale: str, emb: np.ndarray | None,
                          c: float = 5.0, folds: int = FOLDS, seed: int = 0) -> list[CrossValPrediction]:
    """K-fold predictions. The n-gram vocabulary and IDF come from all texts (no labels involved), so
    each fold only refits the logistic regressions. An example's fold is a checksum of its text (with
    ``seed``): adding or removing examples leaves every other example in its fold."""
    n = len(texts)
    keys = [text_key(t) for t in texts]
    fold_of = np.array([text_key(t, seed) % folds for t in texts]) if seed else np.array([k % folds for k in keys])
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
            out[i] = CrossValPrediction(labels[i], pred, float(probs[row, j]), sim, keys[i])
    # A fold with a single class (a degenerate plan) predicts nothing: count those as right.
    return [p if p is not None else CrossValPrediction(labels[i], labels[i], 1.0, 1.0, keys[i]) for i, p in enumerate(out)]


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


def _acceptance(preds: list[CrossValPrediction], has_embedding: bool) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """acc[i, a, b, c]: would example i be accepted with PROBABILITY_GRID[a], sims[b], sures[c]?"""
    sims = SIMILARITY_GRID if has_embedding else np.array([0.0])
    sures = SURE_GRID if has_embedding else np.array([1.01])
    intent = np.array([p.predicted != OUT_OF_SCOPE for p in preds], dtype=bool)
    prob = np.array([p.probability for p in preds], dtype=float)[:, None, None, None]
    sim = np.array([p.similarity for p in preds], dtype=float)[:, None, None, None]
    acc = intent[:, None, None, None] & (prob >= PROBABILITY_GRID[None, :, None, None]) & (
        (sim >= sims[None, None, :, None]) | (prob >= sures[None, None, None, :]))
    return acc, (PROBABILITY_GRID, sims, sures)


def _pick(fa: np.ndarray, fr: np.ndarray) -> tuple[int, ...]:
    """Grid index minimising false-accept + false-reject rate; among costs within COST_TOLERANCE of the
    minimum, the fewest false rejects (then the fewest false accepts) win."""
    cost = np.round(fa + fr, 6)
    near = cost <= cost.min() + COST_TOLERANCE + 1e-6
    key = np.where(near, np.round(fr, 6) * 1e6 + np.round(fa, 6) * 1e3 + cost, np.inf)
    return tuple(int(x) for x in np.unravel_index(int(np.argmin(key)), fa.shape))


def bootstrap_weights(preds: list[CrossValPrediction], replicates: int) -> np.ndarray:
    """(examples x replicates) Poisson(1) weights, each example's drawn from its own key, so an
    example's weights do not change when others are added or removed. Replicate 0 is the data as is."""
    w = np.array([np.random.default_rng(p.key).poisson(1.0, replicates) for p in preds], dtype=np.float32)
    w = w.reshape(len(preds), replicates)
    w[:, 0] = 1.0
    return w


def choose_thresholds(preds: list[CrossValPrediction], has_embedding: bool,
                      replicates: int = REPLICATES) -> Thresholds:
    """The mean of the thresholds _pick() chooses on ``replicates`` bootstrap reweightings of the
    cross-validated predictions (replicates=1: one choice on the predictions as they are)."""
    preds = _calibration_rows(preds)
    if not preds:
        return Thresholds()
    acc, grids = _acceptance(preds, has_embedding)
    shape = acc.shape[1:]
    flat = acc.reshape(len(preds), -1).astype(np.float32)
    is_oos = np.array([p.gold == OUT_OF_SCOPE for p in preds], dtype=bool)
    right = np.array([p.gold != OUT_OF_SCOPE and p.predicted == p.gold for p in preds], dtype=bool)
    w = bootstrap_weights(preds, max(1, replicates))

    def rate(mask: np.ndarray) -> np.ndarray:  # (replicates x grid) weighted acceptance rate
        if not mask.any():
            return np.zeros((w.shape[1], flat.shape[1]), dtype=np.float32)
        wm = w[mask]
        return (wm.T @ flat[mask]) / np.maximum(wm.sum(axis=0), 1e-9)[:, None]

    fa, fr = rate(is_oos), 1.0 - rate(right)
    if not right.any():
        fr = np.zeros_like(fr)
    # A replicate that drew no out-of-scope (or no in-scope) example at all says nothing about the trade-off.
    usable = [k for k in range(w.shape[1])
              if (w[is_oos, k].sum() > 0 or not is_oos.any()) and (w[right, k].sum() > 0 or not right.any())]
    picks = [[float(g[i]) for g, i in zip(grids, _pick(fa[k].reshape(shape), fr[k].reshape(shape)))]
             for k in usable]
    mean = np.mean(picks, axis=0)
    return Thresholds(*(round(float(x), 3) for x in mean))


def calibrate_thresholds(texts: list[str], raw: list[str], labels: list[str], locale: str,
                         emb: np.ndarray | None, c: float = 5.0) -> Thresholds:
    preds = cross_val_predictions(texts, labels, locale, emb, c)
    return choose_thresholds(preds, emb is not None)
