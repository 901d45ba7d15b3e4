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

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE, IntentResult
from voicebot.dialogue.nlu.encoder import CachedEncoder
from voicebot.dialogue.nlu.linear_model import C, LinearIntentModel
from voicebot.dialogue.nlu.normalize import normalize
from voicebot.dialogue.nlu.oos import Thresholds, calibrate_thresholds
from voicebot.logs import get_logger

log = get_logger("voicebot.nlu")


@dataclass(frozen=True)
class TrainingReport:
    examples: int
    intents: int
    seconds: float
    min_probability: float = 0.0  # calibrated (or the plan's) acceptance thresholds (oos.Thresholds)
    min_similarity: float = 0.0
    sure_probability: float = 1.01


class EmbeddedIntentClassifier:
    """Thread-safe after construction: parse() only reads the fitted model."""

    def __init__(self, examples: dict[str, list[str]], locale: str, threshold: float | None = 0.45,
                 out_of_scope_examples: list[str] | None = None, c: float = C,
                 encoder: CachedEncoder | None = None, calibrate: bool | None = None) -> None:
        """``threshold`` None (or ``calibrate``) = acceptance thresholds calibrated on the training data."""
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

    @classmethod
    def restored(cls, model: LinearIntentModel, locale: str, labels: np.ndarray, emb: np.ndarray | None,
                 thresholds: Thresholds, report: TrainingReport,
                 encoder: CachedEncoder | None) -> EmbeddedIntentClassifier:
        """A classifier trained earlier from the same inputs (classifier_cache.py): no training."""
        self = cls.__new__(cls)
        self.locale, self.encoder, self.model = locale, encoder, model
        self.classes = model.classes
        self._labels, self._emb = labels, emb
        self.thresholds = thresholds
        self.min_probability = self.threshold = thresholds.min_probability
        self.min_similarity = thresholds.min_similarity
        self.report = report
        return self

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
