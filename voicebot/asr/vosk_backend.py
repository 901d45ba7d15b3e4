"""Vosk: streaming recognition with partial results, for any Vosk model directory."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from voicebot.asr.base import Transcript
from voicebot.errors import ModelError
from voicebot.logs import get_logger

log = get_logger("voicebot.asr.vosk")


class VoskStream:
    """One utterance fed incrementally. Not thread-safe: one stream per call turn."""

    def __init__(self, model, rate: int, language: str) -> None:
        from vosk import KaldiRecognizer

        self._rec = KaldiRecognizer(model, rate)
        self._rec.SetWords(True)
        self._language = language
        self._rate = rate
        self._samples = 0
        self._elapsed = 0.0
        self._final: list[dict] = []
        self._last_partial = ""

    def accept(self, pcm: np.ndarray) -> str | None:
        t0 = time.perf_counter()
        self._samples += len(pcm)
        if self._rec.AcceptWaveform(pcm.astype(np.int16).tobytes()):
            self._final.append(json.loads(self._rec.Result()))
            self._last_partial = ""
            text = None
        else:
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
            text = partial if partial and partial != self._last_partial else None
            self._last_partial = partial or self._last_partial
        self._elapsed += time.perf_counter() - t0
        return text

    def finish(self) -> Transcript:
        t0 = time.perf_counter()
        self._final.append(json.loads(self._rec.FinalResult()))
        words = [w for r in self._final for w in r.get("result", [])]
        text = " ".join(r.get("text", "") for r in self._final if r.get("text")).strip()
        conf = float(np.mean([w.get("conf", 0.0) for w in words])) if words else 0.0
        self._elapsed += time.perf_counter() - t0
        return Transcript(text, conf, self._language, self._samples / self._rate, self._elapsed)


class VoskRecognizer:
    sample_rate = 16000

    def __init__(self, model_dir: Path, language: str = "") -> None:
        import vosk

        vosk.SetLogLevel(-1)
        t0 = time.perf_counter()
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception on a bad directory
            raise ModelError(f"asr.vosk_model: cannot load the Vosk model in {model_dir}: {exc}") from None
        self.name = f"vosk:{model_dir.name}"
        self.language = language
        log.info("vosk_loaded", model=str(model_dir), seconds=round(time.perf_counter() - t0, 2))

    def stream(self, language: str | None = None) -> VoskStream:
        return VoskStream(self._model, self.sample_rate, language or self.language)

    def transcribe(self, pcm: np.ndarray, language: str | None = None, prompt: str = "") -> Transcript:
        if pcm.dtype != np.int16:
            pcm = (np.clip(pcm, -1, 1) * 32767).astype(np.int16)
        stream = self.stream(language)
        for start in range(0, len(pcm), self.sample_rate // 5):
            stream.accept(pcm[start:start + self.sample_rate // 5])
        return stream.finish()
