"""The default intent recogniser: trained from a dialplan's examples at load time, no server.

Features: character n-grams of the normalised text (Chinese needs no word segmentation), word
n-grams (English), and for Chinese toneless + fuzzy pinyin n-grams so ASR homophones still match.
Model: one-vs-rest logistic regression; its (normalised) probability is the confidence, and a best score under
the threshold (or the out_of_scope class trained from negatives) is OUT_OF_SCOPE.
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
from voicebot.dialogue.nlu.normalize import normalize, pinyin_tokens
from voicebot.logs import get_logger

log = get_logger("voicebot.nlu")


def _tokens_identity(tokens: list[str]) -> list[str]:
    return tokens


def _pinyin_analyzer(fuzzy: bool):
    def analyze(text: str) -> list[str]:
        toks = pinyin_tokens(text, fuzzy)
        grams = [t for t in toks if t != "|"]
        grams += ["_".join(toks[i:i + 2]) for i in range(len(toks) - 1) if "|" not in toks[i:i + 2]]
        grams += ["_".join(toks[i:i + 3]) for i in range(len(toks) - 2) if "|" not in toks[i:i + 3]]
        return grams
    return analyze


@dataclass(frozen=True)
class TrainingReport:
    examples: int
    intents: int
    seconds: float


class EmbeddedIntentClassifier:
    """Thread-safe after construction: parse() only reads the fitted vectorisers and model."""

    def __init__(self, examples: dict[str, list[str]], locale: str, threshold: float = 0.45,
                 out_of_scope_examples: list[str] | None = None, c: float = 20.0) -> None:
        t0 = time.perf_counter()
        self.locale = locale
        self.threshold = threshold
        texts, labels = [], []
        for intent, exs in examples.items():
            for ex in exs:
                texts.append(normalize(ex, locale))
                labels.append(intent)
        for ex in out_of_scope_examples or []:
            texts.append(normalize(ex, locale))
            labels.append(OUT_OF_SCOPE)
        if len(set(labels)) < 2:
            raise ValueError("the intent classifier needs examples of at least two intents")
        self.vectorizers = self._make_vectorizers(locale)
        blocks = [v.fit_transform(texts) for v in self.vectorizers]
        # One-vs-rest logistic regressions solved in the dual (liblinear): with a few hundred
        # examples and thousands of n-gram features this trains in tens of milliseconds, where a
        # multinomial lbfgs/newton-cg fit takes 0.3-2 s; predict_proba normalises the per-intent scores.
        self.model = OneVsRestClassifier(LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=1000))
        self.model.fit(sparse.hstack(blocks).tocsr(), labels)
        self.classes: list[str] = [str(c) for c in self.model.classes_]
        # One weight matrix for all intents: parse() is then one sparse-dense product, not a
        # Python loop over per-intent estimators (~0.1 ms instead of ~5 ms).
        self._w = np.vstack([e.coef_.ravel() for e in self.model.estimators_]).T.copy()
        self._b = np.array([float(np.ravel(e.intercept_)[0]) for e in self.model.estimators_])
        self.report = TrainingReport(len(texts), len(set(labels)), time.perf_counter() - t0)
        log.info("nlu_trained", locale=locale, examples=len(texts), intents=len(set(labels)),
                 seconds=round(self.report.seconds, 3))

    @staticmethod
    def _make_vectorizers(locale: str) -> list[TfidfVectorizer]:
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

    def _features(self, texts: list[str]):
        return sparse.hstack([v.transform(texts) for v in self.vectorizers]).tocsr()

    def parse(self, text: str) -> IntentResult:
        norm = normalize(text, self.locale)
        if not norm:
            return IntentResult(OUT_OF_SCOPE, 0.0)
        x = self._features([norm])
        if x.nnz == 0:  # nothing we have ever seen: no evidence for any intent
            return IntentResult(OUT_OF_SCOPE, 0.0)
        scores = 1.0 / (1.0 + np.exp(-(np.asarray(x @ self._w).ravel() + self._b)))
        probs = scores / scores.sum()  # as OneVsRestClassifier.predict_proba normalises
        order = np.argsort(probs)[::-1][:5]
        ranking = tuple((self.classes[i], round(float(probs[i]), 4)) for i in order)
        best, conf = ranking[0]
        if best == OUT_OF_SCOPE or conf < self.threshold:
            return IntentResult(OUT_OF_SCOPE, conf if best == OUT_OF_SCOPE else 1.0 - conf, ranking)
        return IntentResult(best, conf, ranking)
