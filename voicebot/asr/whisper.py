"""Whisper through CTranslate2, tuned for short phone turns.

faster-whisper's ``transcribe()`` pads every clip to a 30 s encoder window: ~1.1 s for Whisper
base on 2 cores even for a 2 s "yes". CTranslate2 accepts shorter windows; below ~1 s past the
audio Whisper starts looping ("5 5 5 5"), but a 10 s window gives the same text as 30 s at a
fifth of the encoder cost. So we build features with faster-whisper's extractor, pad to
``asr.min_window_s``, and call ``encode`` + greedy ``generate`` ourselves (temperature 0 only:
the fallback ladder costs 15-30 s on garbled audio).
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import ctranslate2
import numpy as np

from voicebot.asr.base import Transcript
from voicebot.config import AsrConfig
from voicebot.errors import ModelError
from voicebot.logs import get_logger

SAMPLE_RATE = 16000
FRAMES_PER_SECOND = 100  # mel frames
MAX_WINDOW_FRAMES = 3000
# Whisper writes Traditional Chinese unless nudged; a Simplified previous-text prompt is enough.
ZH_PROMPT = "以下是普通话的句子。"
LOCALE_TO_LANGUAGE = {"en-us": "en", "zh-cn": "zh"}

log = get_logger("voicebot.asr.whisper")


def language_code(language: str | None) -> str | None:
    if not language:
        return None
    return LOCALE_TO_LANGUAGE.get(language.lower(), language.split("-")[0].lower())


class WhisperRecognizer:
    sample_rate = SAMPLE_RATE

    def __init__(self, model_dir: Path, cfg: AsrConfig, setting: str = "asr.whisper_model") -> None:
        from faster_whisper import WhisperModel

        t0 = time.perf_counter()
        try:
            model = WhisperModel(str(model_dir), device="cpu", compute_type=cfg.compute_type,
                                 cpu_threads=cfg.cpu_threads, num_workers=cfg.num_workers)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{setting}: cannot load the Whisper model in {model_dir}: {exc} "
                             f"(corrupt or incomplete download?)") from None
        self.name = f"whisper:{model_dir.name}"
        self._model = model.model
        self._features = model.feature_extractor
        self._tokenizer = model.hf_tokenizer
        self.multilingual = bool(self._model.is_multilingual)
        self._min_frames = int(cfg.min_window_s * FRAMES_PER_SECOND)
        self._beam = cfg.beam_size
        self._eot = self._token("<|endoftext|>")
        self._prompts: dict[str | None, list[int]] = {}
        self.load_s = time.perf_counter() - t0
        log.info("whisper_loaded", model=str(model_dir), multilingual=self.multilingual, seconds=round(self.load_s, 2))

    def _token(self, text: str) -> int:
        token = self._tokenizer.token_to_id(text)
        if token is None:
            raise ModelError(f"Whisper tokenizer has no {text!r}: not a Whisper model?")
        return token

    def _prompt(self, language: str | None) -> list[int]:
        if language in self._prompts:
            return self._prompts[language]
        if not self.multilingual and language not in (None, "en"):
            raise ModelError(f"{self.name} is English-only; language {language!r} needs a multilingual "
                             f"Whisper model (asr.whisper_model = 'base')")
        prompt = []
        if language == "zh":
            prompt = [self._token("<|startofprev|>"), *self._tokenizer.encode(ZH_PROMPT, add_special_tokens=False).ids]
        prompt.append(self._token("<|startoftranscript|>"))
        if self.multilingual:
            prompt.append(self._token(f"<|{language or 'en'}|>"))
            prompt.append(self._token("<|transcribe|>"))
        prompt.append(self._token("<|notimestamps|>"))
        self._prompts[language] = prompt
        return prompt

    def transcribe(self, pcm: np.ndarray, language: str | None = None) -> Transcript:
        t0 = time.perf_counter()
        lang = language_code(language)
        audio = pcm.astype(np.float32) / 32768.0 if pcm.dtype == np.int16 else pcm.astype(np.float32)
        seconds = len(audio) / SAMPLE_RATE
        if seconds < 0.2 or float(np.abs(audio).max(initial=0.0)) < 1e-3:
            return Transcript("", 0.0, lang or "", seconds, time.perf_counter() - t0)
        texts, scores = [], []
        step = 30 * SAMPLE_RATE
        for start in range(0, len(audio), step):
            text, score = self._chunk(audio[start:start + step], lang)
            if text:
                texts.append(text)
                scores.append(score)
        joiner = "" if lang in ("zh", "ja") else " "
        text = joiner.join(texts).strip()
        confidence = float(np.clip(math.exp(np.mean(scores)), 0.0, 1.0)) if scores else 0.0
        return Transcript(text, confidence, lang or "", seconds, time.perf_counter() - t0)

    def _chunk(self, audio: np.ndarray, lang: str | None) -> tuple[str, float]:
        feats = self._features(audio)
        frames = feats.shape[-1]
        window = min(MAX_WINDOW_FRAMES, max(self._min_frames, frames + 50))
        if frames < window:
            feats = np.pad(feats, ((0, 0), (0, window - frames)))
        feats = np.ascontiguousarray(feats[:, :window][None], dtype=np.float32)
        encoded = self._model.encode(ctranslate2.StorageView.from_array(feats), to_cpu=False)
        seconds = len(audio) / SAMPLE_RATE
        result = self._model.generate(
            encoded, [self._prompt(lang)], beam_size=self._beam, return_scores=True,
            return_no_speech_prob=True, max_length=int(24 + 10 * seconds), suppress_blank=True,
        )[0]
        ids = [t for t in result.sequences_ids[0] if t < self._eot]
        score = result.scores[0] if result.scores else -5.0
        # Whisper "hears" words in silence and noise; its own no-speech estimate catches most
        # (the thresholds of openai-whisper's transcribe()).
        if result.no_speech_prob > 0.6 and score < -1.0:
            return "", score
        return drop_repeats(self._tokenizer.decode(ids).strip()), score

    def stream(self, language: str | None = None) -> None:
        return None


_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def drop_repeats(text: str) -> str:
    """Whisper's failure mode on short windows: the same sentence over and over. Keep one."""
    parts = [p for p in _SENTENCE.split(text) if p]
    out: list[str] = []
    for part in parts:
        if not out or part.strip().lower() != out[-1].strip().lower():
            out.append(part)
    joined = " ".join(p.strip() for p in out) if " " in text else "".join(out)
    return joined.strip()
