"""The bot's voice for every call: one synthesizer per locale, sentence streaming, prompt cache."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable, Iterator

import numpy as np

from voicebot.audio.pcm import resample
from voicebot.config import Settings
from voicebot.logs import get_logger
from voicebot.tts.base import Synthesizer
from voicebot.tts.cache import PromptCache
from voicebot.tts.normalize import normalize
from voicebot.tts.sentences import split_sentences
from voicebot.tts.voices import load_voice

log = get_logger("voicebot.tts")


class SpeechRenderer:
    """Thread-safe; shared by every call session of a process."""

    def __init__(self, settings: Settings, out_rate: int) -> None:
        self.out_rate = out_rate
        cfg = settings.tts
        self._voices: dict[str, Synthesizer] = {}
        for locale, spec in cfg.voices.items():
            try:
                self._voices[locale] = load_voice(spec, cfg.length_scale)
            except Exception as exc:
                from voicebot.errors import ModelError

                if isinstance(exc, ModelError):
                    raise ModelError(f"tts.voices[{locale!r}]={spec!r}: {exc}") from None
                raise
            if locale.startswith("zh") and spec.startswith("espeak:"):
                log.warning("mandarin_voice_is_espeak", voice=spec,
                            hint="install a Piper zh voice (e.g. zh_CN-huayan-medium.onnx + .onnx.json) and set "
                                 "tts.voices zh-CN to its path; espeak-ng Mandarin is robotic")
        self.cache = PromptCache(settings.paths.cache_dir / "tts" if cfg.cache_enabled else None)
        self._renders = 0
        self._lock = threading.Lock()
        self.on_synthesis: Callable[[float], None] | None = None  # seconds per rendered sentence (metrics)

    def voice_id(self, locale: str) -> str:
        return self._voice(locale).voice_id

    def _voice(self, locale: str) -> Synthesizer:
        if locale in self._voices:
            return self._voices[locale]
        lang = locale.split("-")[0]
        for key, voice in self._voices.items():
            if key.split("-")[0] == lang:
                return voice
        return next(iter(self._voices.values()))

    def _sentence(self, text: str, locale: str) -> np.ndarray:
        voice = self._voice(locale)
        key = PromptCache.key(voice.voice_id, self.out_rate, text)
        audio = self.cache.get(key)
        if audio is None:
            t0 = time.perf_counter()
            audio = resample(voice.synthesize(normalize(text, locale)), voice.sample_rate, self.out_rate)
            if self.on_synthesis is not None:
                self.on_synthesis(time.perf_counter() - t0)
            with self._lock:
                self._renders += 1
            self.cache.put(key, audio)
        return audio

    def stream(self, text: str, locale: str) -> Iterator[np.ndarray]:
        """int16 chunks at ``out_rate``, one per sentence: the first plays while the next renders."""
        for sentence in split_sentences(text) or [text]:
            yield self._sentence(sentence, locale)

    def render(self, text: str, locale: str) -> np.ndarray:
        parts = list(self.stream(text, locale))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def prerender(self, items: Iterable[tuple[str, str]]) -> int:
        """Renders fixed lines into the cache before calls connect; returns how many were new."""
        before = self._renders
        for locale, text in items:
            for sentence in split_sentences(text) or [text]:
                self._sentence(sentence, locale)
        return self._renders - before

    @property
    def renders(self) -> int:
        return self._renders
