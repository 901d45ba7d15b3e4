"""The default intent recogniser: trained from a dialplan's examples at load time, no server.

Features, in one linear model so that both meaning and exact wording count:
- a multilingual sentence embedding (encoder.py): knows 便宜一点 is a discount request when the
  examples say 打折;
- character n-grams of the normalised text (Chinese needs no word segmentation), word n-grams
  (English), and for Chinese toneless + fuzzy pinyin n-grams so ASR homophones still match.
Model: one-vs-rest logistic regression; its (normalised) probability is the confidence.

Out of scope (oos.py): the out_of_scope class trained from the plan's negatives, plus two
thresholds calibrated by cross-validation on the training data: the top probability and the
cosine similarity to the nearest training example of the chosen intent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE, IntentResult
from voicebot.dialogue.nlu.encoder import CachedEncoder
from voicebot.dialogue.nlu.normalize import normalize, pinyin_tokens
from voicebot.logs import get_logger

log = get_logger("voicebot.nlu")

# How much the sentence embedding weighs against the n-gram blocks (each block is a unit vector).
# Chosen with C by 5-fold cross-validation on the sample plans' training examples (docs/nlu.md).
EMBEDDING_WEIGHT = 4.0
C = 5.0  # inverse regularisation of the logistic regressions


def _pinyin_analyzer(fuzzy: bool):
    def analyze(text: str) -> list[str]:
        toks = pinyin_tokens(text, fuzzy)
        grams = [t for t in toks if t != "|"]
        grams += ["_".join(toks[i:i + 2]) for i in range(len(toks) - 1) if "|" not in toks[i:i + 2]]
        grams += ["_".join(toks[i:i + 3]) for i in range(len(toks) - 2) if "|" not in toks[i:i + 3]]
        return grams
    return analyze


def make_vectorizers(locale: str) -> list[TfidfVectorizer]:
    if locale.startswith("zh"):
        return [
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
            TfidfVectorizer(analyzer=_pinyin_analyzer(False), sublinear_tf=True),
            TfidfVectorizer(analyzer=_pinyin_analyzer(True), sublinear_tf=True),
        ]
    return [
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ]


@dataclass(frozen=True)
class TrainingReport:
    examples: int
    intents: int
    seconds: float
    min_probability: float = 0.0  # calibrated (or the plan's) acceptance thresholds (oos.Thresholds)
    min_similarity: float = 0.0
    sure_probability: float = 1.01


def fit_one_vs_rest(x: sparse.csr_matrix, labels: list[str], c: float = C) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(classes, weights (features x classes), biases). One-vs-rest logistic regressions solved in the
    dual (liblinear): with a few hundred examples this takes tens of milliseconds, where a
    multinomial lbfgs fit takes 0.3-2 s."""
    model = OneVsRestClassifier(LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=1000))
    model.fit(x, labels)
    # One weight matrix for all intents: scoring is one product, not a loop over estimators.
    w = np.vstack([e.coef_.ravel() for e in model.estimators_]).T.copy()
    b = np.array([float(np.ravel(e.intercept_)[0]) for e in model.estimators_])
    return [str(k) for k in model.classes_], w, b


def probabilities(x: sparse.csr_matrix, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    scores = 1.0 / (1.0 + np.exp(-(np.asarray(x @ w) + b)))
    return scores / scores.sum(axis=1, keepdims=True)  # as OneVsRestClassifier.predict_proba


class LinearIntentModel:
    """N-gram TF-IDF (+ sentence embedding) -> one-vs-rest logistic regression."""

    def __init__(self, texts: list[str], labels: list[str], locale: str, emb: np.ndarray | None,
                 c: float = C, embedding_weight: float | None = None) -> None:
        self._fit_vectorizers(texts, locale, embedding_weight)
        self.classes, self._w, self._b = fit_one_vs_rest(self.features(texts, emb), labels, c)

    def _fit_vectorizers(self, texts: list[str], locale: str, embedding_weight: float | None) -> None:
        self.vectorizers = make_vectorizers(locale)
        self.embedding_weight = EMBEDDING_WEIGHT if embedding_weight is None else embedding_weight
        for v in self.vectorizers:
            v.fit(texts)

    @classmethod
    def featurizer(cls, texts: list[str], locale: str) -> LinearIntentModel:
        """Only the fitted vectorisers (features()), no model: cross-validation refits the model alone."""
        self = cls.__new__(cls)
        self._fit_vectorizers(texts, locale, None)
        return self

    def features(self, texts: list[str], emb: np.ndarray | None) -> sparse.csr_matrix:
        blocks = [v.transform(texts) for v in self.vectorizers]
        if emb is not None:
            blocks.append(sparse.csr_matrix(emb * self.embedding_weight))
        return sparse.hstack(blocks).tocsr()

    def sparse_features(self, texts: list[str]) -> sparse.csr_matrix:
        return sparse.hstack([v.transform(texts) for v in self.vectorizers]).tocsr()

    def probabilities(self, texts: list[str], emb: np.ndarray | None) -> np.ndarray:
        x = self.sparse_features(texts)
        n_sparse = x.shape[1]
        z = np.asarray(x @ self._w[:n_sparse]) + self._b
        if emb is not None:
            z = z + (emb * self.embedding_weight) @ self._w[n_sparse:]
        scores = 1.0 / (1.0 + np.exp(-z))
        return scores / scores.sum(axis=1, keepdims=True)  # as OneVsRestClassifier.predict_proba


class EmbeddedIntentClassifier:
    """Thread-safe after construction: parse() only reads the fitted model."""

    def __init__(self, examples: dict[str, list[str]], locale: str, threshold: float | None = 0.45,
                 out_of_scope_examples: list[str] | None = None, c: float = C,
                 encoder: CachedEncoder | None = None, calibrate: bool | None = None) -> None:
        """``threshold`` None (or ``calibrate``) = acceptance thresholds calibrated on the training data."""
        from voicebot.dialogue.nlu.oos import Thresholds, calibrate_thresholds

        t0 = time.perf_counter()
        self.locale = locale
        self.encoder = encoder
        texts, raw, labels = [], [], []
        for intent, exs in examples.items():
            for ex in exs:
                texts.append(normalize(ex, locale))
                raw.append(ex)
                labels.append(intent)
        for ex in out_of_scope_examples or []:
            texts.append(normalize(ex, locale))
            raw.append(ex)
            labels.append(OUT_OF_SCOPE)
        if len(set(labels)) < 2:
            raise ValueError("the intent classifier needs examples of at least two intents")
        # The encoder sees the normalised text too: fillers (嗯/那个/um) and punctuation carry no intent.
        emb = encoder.encode([n or r for n, r in zip(texts, raw)]) if encoder is not None else None
        self.model = LinearIntentModel(texts, labels, locale, emb, c)
        self.classes = self.model.classes
        # Nearest-example similarity: the training embeddings of every in-scope intent.
        self._labels = np.array(labels)
        self._emb = emb
        calibrate = threshold is None if calibrate is None else calibrate
        if calibrate:
            self.thresholds = calibrate_thresholds(texts, raw, labels, locale, emb, c)
        else:
            self.thresholds = Thresholds(float(threshold or 0.0))
        self.min_probability = self.threshold = self.thresholds.min_probability
        self.min_similarity = self.thresholds.min_similarity
        if encoder is not None:
            encoder.save()
        self.report = TrainingReport(len(texts), len(set(labels)), time.perf_counter() - t0,
                                     round(self.min_probability, 3), round(self.min_similarity, 3),
                                     round(self.thresholds.sure_probability, 3))
        log.info("nlu_trained", locale=locale, examples=len(texts), intents=len(set(labels)),
                 seconds=round(self.report.seconds, 3), encoder=encoder.name if encoder else "",
                 min_probability=self.report.min_probability, min_similarity=self.report.min_similarity,
                 sure_probability=self.report.sure_probability)

    def nearest_similarity(self, emb: np.ndarray, intent: str) -> float:
        """Cosine similarity of an utterance to the nearest training example of ``intent``."""
        if self._emb is None:
            return 1.0
        mask = self._labels == intent
        return float((self._emb[mask] @ emb).max()) if mask.any() else 0.0

    def embed(self, text: str) -> np.ndarray | None:
        if self.encoder is None:
            return None
        return self.encoder.encode([normalize(text, self.locale) or text], remember=False)[0]

    def parse(self, text: str) -> IntentResult:
        return self.parse_embedded(text, None)

    def parse_embedded(self, text: str, emb: np.ndarray | None) -> IntentResult:
        """parse() with the utterance's embedding already computed (the FAQ reuses it)."""
        norm = normalize(text, self.locale)
        if not norm:  # only fillers / punctuation
            return IntentResult(OUT_OF_SCOPE, 1.0)
        if emb is None and self.encoder is None and self.model.sparse_features([norm]).nnz == 0:
            return IntentResult(OUT_OF_SCOPE, 1.0)  # n-grams only, none ever seen: no evidence at all
        if emb is None:
            emb = self.embed(text)
        probs = self.model.probabilities([norm], None if emb is None else emb[None, :])[0]
        order = np.argsort(probs)[::-1][:5]
        ranking = tuple((self.classes[i], round(float(probs[i]), 4)) for i in order)
        best, conf = ranking[0]
        if best == OUT_OF_SCOPE:
            return IntentResult(OUT_OF_SCOPE, conf, ranking)
        similarity = self.nearest_similarity(emb, best) if emb is not None else 1.0
        if not self.thresholds.accepts(conf, similarity):
            return IntentResult(OUT_OF_SCOPE, 1.0 - conf, ranking)
        return IntentResult(best, conf, ranking)
