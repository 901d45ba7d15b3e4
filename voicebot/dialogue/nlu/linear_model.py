"""The linear intent model: n-gram (and pinyin) features plus the sentence embedding, one-vs-rest logistic regression.

Its own module because both the classifier (embedded.py) and the threshold calibration (oos.py) fit it.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from voicebot.dialogue.nlu.normalize import pinyin_tokens
from voicebot.locales import locale_info

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
    if not locale_info(locale).spaced_words:
        return [
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
            TfidfVectorizer(analyzer=_pinyin_analyzer(False), sublinear_tf=True),
            TfidfVectorizer(analyzer=_pinyin_analyzer(True), sublinear_tf=True),
        ]
    return [
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ]


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

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted model as plain arrays (no pickle: the pinyin analysers are closures, and a cache
        file should never be able to run code). from_arrays() rebuilds the same model."""
        arrays = {"w": self._w, "b": self._b, "classes": np.array(self.classes, dtype=str),
                  "embedding_weight": np.array(self.embedding_weight)}
        for i, v in enumerate(self.vectorizers):
            terms = sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)  # position = feature column
            arrays[f"vocabulary_{i}"] = np.array(terms, dtype=str)
            arrays[f"idf_{i}"] = np.asarray(v.idf_)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], locale: str) -> LinearIntentModel:
        self = cls.__new__(cls)
        self.vectorizers = make_vectorizers(locale)
        for i, v in enumerate(self.vectorizers):
            v.vocabulary_ = {str(term): column for column, term in enumerate(arrays[f"vocabulary_{i}"])}
            v.idf_ = arrays[f"idf_{i}"]
        self.embedding_weight = float(arrays["embedding_weight"])
        self.classes = [str(k) for k in arrays["classes"]]
        self._w, self._b = arrays["w"], arrays["b"]
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
