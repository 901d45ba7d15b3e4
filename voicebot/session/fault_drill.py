"""Emergency drills: engines that fail on purpose (``[fault_drill]``), to rehearse the emergency
plan on a real call. Off by default; ``voicebot serve`` logs a warning when one is on."""

from __future__ import annotations

import threading
from typing import Any, Iterator

import numpy.typing as npt

from voicebot.asr.base import Expected, Recognizer, RecognizerStream, Transcript
from voicebot.config import FaultDrillConfig
from voicebot.media.frames import Pcm16

HANG_S = 3600.0  # "hung": far beyond any timeout
_released = threading.Event()  # set at shutdown, so a hung drill never holds the process open


def release_hung() -> None:
    _released.set()


class _Countdown:
    def __init__(self, uses: int) -> None:
        self._left = uses
        self._lock = threading.Lock()

    def failing(self) -> bool:
        with self._lock:
            self._left -= 1
            return self._left < 0


def _fail(mode: str, engine: str) -> None:
    if mode == "hang":
        _released.wait(HANG_S)
    raise RuntimeError(f"fault drill: {engine} fails on purpose ([fault_drill] {engine} = {mode!r})")


class DrillRecognizer:
    """Wraps the real recogniser; after ``after_uses`` transcriptions it fails, hangs, or (``slow``)
    still answers, ``slow_s`` late: an overloaded machine, rehearsed."""

    def __init__(self, inner: Recognizer, cfg: FaultDrillConfig) -> None:
        self._inner, self._mode, self._count = inner, cfg.asr, _Countdown(cfg.after_uses)
        self._slow_s = cfg.slow_s
        self.name, self.sample_rate = f"drill({inner.name})", inner.sample_rate

    def transcribe(self, pcm: npt.NDArray[Any], language: str | None = None, prompt: str = "",
                   expected: Expected = ()) -> Transcript:
        """Same signature as the recognisers it wraps: the session passes the domain prompt and the
        state's expected answers."""
        if self._count.failing():
            if self._mode == "slow":
                _released.wait(self._slow_s)
            else:
                _fail(self._mode, "asr")
        if expected:
            return self._inner.transcribe(pcm, language, prompt, expected)
        return self._inner.transcribe(pcm, language, prompt) if prompt else self._inner.transcribe(pcm, language)

    def stream(self, language: str | None = None) -> RecognizerStream | None:
        return None  # drills run on whole utterances


class DrillRenderer:
    """Wraps the real renderer; lines outside ``spared`` (the emergency lines, which are stored
    audio) fail after ``after_uses`` lines."""

    def __init__(self, inner: Any, cfg: FaultDrillConfig, spared: set[str]) -> None:  # a SpeechRenderer
        self._inner, self._mode, self._count, self._spared = inner, cfg.tts, _Countdown(cfg.after_uses), spared

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def stream(self, text: str, locale: str) -> Iterator[Pcm16]:
        if text not in self._spared and self._count.failing():
            _fail(self._mode, "tts")
        yield from self._inner.stream(text, locale)
