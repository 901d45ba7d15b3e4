"""Rendered prompts on disk (and in memory): scripted lines play with no synthesis delay."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from voicebot.logs import get_logger

log = get_logger("voicebot.tts.cache")


class PromptCache:
    """Key = (voice id, output rate, text). Values are int16 .npy files written atomically."""

    def __init__(self, root: Path | None, memory_items: int = 512) -> None:
        self.root = root
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._max = memory_items
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(voice_id: str, rate: int, text: str) -> str:
        return hashlib.sha256(f"{voice_id}\x00{rate}\x00{text}".encode()).hexdigest()[:32]

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                self.hits += 1
                return self._memory[key]
        audio = self._read(key)
        with self._lock:
            if audio is None:
                self.misses += 1
                return None
            self.hits += 1
            self._remember(key, audio)
        return audio

    def put(self, key: str, audio: np.ndarray) -> None:
        with self._lock:
            self._remember(key, audio)
        if self.root is None:
            return
        path = self._path(key)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, audio.astype(np.int16), allow_pickle=False)
        os.replace(tmp, path)  # a crash mid-write never leaves a half file under the real name

    def _remember(self, key: str, audio: np.ndarray) -> None:
        self._memory[key] = audio
        self._memory.move_to_end(key)
        while len(self._memory) > self._max:
            self._memory.popitem(last=False)

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.npy"

    def _read(self, key: str) -> np.ndarray | None:
        if self.root is None:
            return None
        path = self._path(key)
        if not path.exists():
            return None
        try:
            audio = np.load(path, allow_pickle=False)
            if audio.dtype != np.int16 or audio.ndim != 1:
                raise ValueError(f"unexpected array {audio.dtype} {audio.shape}")
            return audio
        except (ValueError, OSError, EOFError) as exc:
            log.warning("tts_cache_corrupt", path=str(path), error=str(exc))
            path.unlink(missing_ok=True)
            return None
