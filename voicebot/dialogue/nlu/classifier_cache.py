"""Trained intent classifiers kept on disk, so a restart or `dialplan check` does not retrain an unchanged plan.

Training a sample plan (some 1,800 examples, 20 intents, five cross-validation fits to calibrate the
out-of-scope thresholds) takes 15-40 s on one core; reading the result back takes a few hundredths
of a second. A file ``<cache_dir>/nlu/classifiers/<key>.npz`` holds one trained classifier, where
the key is a hash of everything the training depends on:

- the training inputs (examples per intent, out-of-scope examples, locale, threshold, C): they
  include what the plan inherits from the everyday library and its FAQ file;
- the plan file's bytes, so that any edit of the plan retrains, comments included;
- the encoder's identity (model, size, installed weights' version), the scikit-learn and pypinyin
  versions, and the source of the modules training runs (TRAINING_CODE): an upgrade or a local edit
  of the normaliser or the model retrains instead of serving a classifier the code no longer makes;
- FORMAT, bumped whenever how a classifier is stored changes.

Files are plain numpy arrays (no pickle: a cache file can never run code). A file that cannot be
read is logged and ignored: the classifier is retrained and the file rewritten.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from voicebot.dialogue.nlu.embedded import EmbeddedIntentClassifier, TrainingReport
from voicebot.dialogue.nlu.encoder import CachedEncoder
from voicebot.dialogue.nlu.linear_model import C, LinearIntentModel
from voicebot.dialogue.nlu.oos import FOLDS, CrossValPrediction, Thresholds, cross_val_predictions
from voicebot.logs import get_logger

log = get_logger("voicebot.nlu.cache")

FORMAT = 1
UNUSED_FOR_S = 30 * 24 * 3600  # a cached classifier nobody read for this long is deleted
# What a trained classifier is computed by (normalise, featurise, fit, calibrate, store).
TRAINING_CODE = ("dialogue/nlu/base.py", "dialogue/nlu/classifier_cache.py", "dialogue/nlu/embedded.py",
                 "dialogue/nlu/encoder.py", "dialogue/nlu/linear_model.py", "dialogue/nlu/normalize.py",
                 "dialogue/nlu/oos.py", "dialogue/nlu/phonetic.py", "zh_numerals.py")


@functools.cache
def training_code_fingerprint() -> str:
    package = Path(__file__).resolve().parents[2]  # voicebot/
    digest = hashlib.sha256()
    for name in TRAINING_CODE:
        path = package / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"missing") + b"\0")
    for dist in ("scikit-learn", "pypinyin"):
        try:
            digest.update(f"{dist}=={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{dist} missing".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class TrainingInputs:
    """Everything a trained classifier is a function of (see the module docstring)."""

    examples: dict[str, list[str]]
    locale: str
    threshold: float | None  # None: calibrated on the training data
    out_of_scope_examples: list[str]
    plan_file: str = ""  # the plan's path, when the plan came from a file
    c: float = C

    def key(self, encoder: CachedEncoder | None) -> str:
        digest = hashlib.sha256()
        settings = {"format": FORMAT, "locale": self.locale, "threshold": self.threshold, "c": self.c,
                    "encoder": encoder.identity if encoder is not None else "none",
                    "code": training_code_fingerprint()}
        # In their order, not sorted: the order of the examples decides the cross-validation folds.
        for part in (settings, list(self.examples.items()), self.out_of_scope_examples):
            digest.update(json.dumps(part, ensure_ascii=False).encode("utf-8"))
            digest.update(b"\0")
        if self.plan_file and Path(self.plan_file).is_file():
            digest.update(Path(self.plan_file).read_bytes())
        return digest.hexdigest()[:32]

    def train(self, encoder: CachedEncoder | None) -> EmbeddedIntentClassifier:
        return EmbeddedIntentClassifier(self.examples, self.locale, self.threshold, self.out_of_scope_examples,
                                        self.c, encoder=encoder)


class ClassifierCache:
    """One folder of trained classifiers, one file per key."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def file(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def classifier(self, inputs: TrainingInputs, encoder: CachedEncoder | None) -> EmbeddedIntentClassifier:
        """The cached classifier for these inputs, else a freshly trained one (then cached)."""
        key = inputs.key(encoder)
        cached = self.load(key, inputs.locale, encoder)
        if cached is not None:
            log.info("nlu_loaded_from_cache", locale=inputs.locale, file=str(self.file(key)),
                     examples=cached.report.examples, intents=cached.report.intents)
            return cached
        trained = inputs.train(encoder)
        self.save(key, trained)
        return trained

    def load(self, key: str, locale: str, encoder: CachedEncoder | None) -> EmbeddedIntentClassifier | None:
        path = self.file(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
            meta = json.loads(str(arrays.pop("meta")))
            if meta.get("format") != FORMAT or meta.get("locale") != locale:
                raise ValueError(f"written for format {meta.get('format')} / {meta.get('locale')}")
            model = LinearIntentModel.from_arrays(arrays, locale)
            emb = arrays["embeddings"] if meta["has_embeddings"] else None
            if (emb is None) != (encoder is None):
                raise ValueError("embeddings do not match the encoder")
            restored = EmbeddedIntentClassifier.restored(
                model, locale, arrays["labels"], emb, Thresholds(**meta["thresholds"]),
                TrainingReport(**meta["report"]), encoder)
            _mark_used(path)
            return restored
        except Exception as exc:  # a truncated, foreign or stale file is only a cache: retrain
            log.warning("nlu_cache_unreadable", file=str(path), error=f"{type(exc).__name__}: {exc}")
            return None

    def save(self, key: str, clf: EmbeddedIntentClassifier) -> None:
        arrays = clf.model.to_arrays()
        arrays["labels"] = np.asarray(clf._labels, dtype=str)
        if clf._emb is not None:
            arrays["embeddings"] = clf._emb
        meta = {"format": FORMAT, "locale": clf.locale, "has_embeddings": clf._emb is not None,
                "thresholds": asdict(clf.thresholds), "report": asdict(clf.report)}
        arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False))
        self._write(self.file(key), arrays)

    def prune(self, unused_for_s: float = UNUSED_FOR_S) -> None:
        """Every edit of a plan leaves its old classifier behind (~8 MB for a sample plan): files
        nobody has read or written for UNUSED_FOR_S go. A plan still served is read at every start,
        which keeps its file (_mark_used)."""
        cutoff = time.time() - unused_for_s
        for old in self.directory.glob("*.npz"):
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
            except OSError:  # gone already (another worker pruned it) or not ours to delete
                continue

    def _write(self, path: Path, arrays: dict[str, np.ndarray]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Written aside then renamed: a reader (another worker starting) never sees half a file.
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, **arrays)
            os.replace(tmp, path)
            self.prune()
        except OSError as exc:  # a read-only cache costs start-up time, nothing else
            log.warning("nlu_cache_not_saved", file=str(path), error=str(exc))


    def cross_val_predictions(self, texts: list[str], labels: list[str], locale: str, emb: np.ndarray | None,
                              encoder: CachedEncoder | None) -> list[CrossValPrediction]:
        """oos.cross_val_predictions, read back when the same examples were cross-validated before
        (the lint of `dialplan check` fits five models over the plan's examples)."""
        digest = hashlib.sha256()
        settings = {"format": FORMAT, "what": "cross_val", "locale": locale, "folds": FOLDS,
                    "encoder": encoder.identity if encoder is not None and emb is not None else "none",
                    "code": training_code_fingerprint()}
        for part in (settings, texts, labels):
            digest.update(json.dumps(part, ensure_ascii=False).encode("utf-8"))
            digest.update(b"\0")
        path = self.file("cv-" + digest.hexdigest()[:32])
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    gold, predicted = data["gold"], data["predicted"]
                    probability, similarity, keys = data["probability"], data["similarity"], data["key"]
                if list(gold) != list(labels):
                    raise ValueError("predictions for other examples")
                _mark_used(path)
                return [CrossValPrediction(str(g), str(p), float(pr), float(si), int(k))
                        for g, p, pr, si, k in zip(gold, predicted, probability, similarity, keys)]
            except Exception as exc:  # only a cache: predict again
                log.warning("nlu_cache_unreadable", file=str(path), error=f"{type(exc).__name__}: {exc}")
        preds = cross_val_predictions(texts, labels, locale, emb)
        self._write(path, {"gold": np.array([p.gold for p in preds], dtype=str),
                           "predicted": np.array([p.predicted for p in preds], dtype=str),
                           "probability": np.array([p.probability for p in preds]),
                           "similarity": np.array([p.similarity for p in preds]),
                           "key": np.array([p.key for p in preds], dtype=np.int64)})
        return preds


def _mark_used(path: Path) -> None:
    """The file's time is its last use (access times are often not kept): prune() goes by it."""
    try:
        os.utime(path)
    except OSError:  # a read-only cache: nothing is pruned there either
        pass


def classifier_cache(cache_dir: Path | None) -> ClassifierCache | None:
    """The product's cache of trained classifiers under paths.cache_dir (None: no cache dir, always train)."""
    return ClassifierCache(Path(cache_dir) / "nlu" / "classifiers") if cache_dir else None
