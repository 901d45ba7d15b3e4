"""From the decoder's text to what the dialogue hears: hallucinations out, Chinese made uniform.

Used by every recogniser's output path and by the zh benchmark, so both judge the same text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicebot.asr.hallucination import screen
from voicebot.asr.zh_text import clean_zh

FRAME_S = 0.02


@dataclass(frozen=True)
class Cleaned:
    text: str
    dropped: str = ""  # why (part of) the decoder's text was removed; '' = nothing removed


def speech_seconds(audio: np.ndarray, rate: int, floor_dbfs: float = -45.0, below_peak_db: float = 30.0) -> float:
    """Seconds of 20 ms frames loud enough to be speech (above a fixed floor and within
    ``below_peak_db`` of the loudest frame): how long someone actually talked in the clip."""
    x = audio.astype(np.float32) / 32768.0 if audio.dtype == np.int16 else audio.astype(np.float32)
    n = int(rate * FRAME_S)
    frames = len(x) // n
    if frames == 0:
        return 0.0
    rms = np.sqrt(np.mean(x[:frames * n].reshape(frames, n) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    threshold = max(floor_dbfs, float(db.max()) - below_peak_db)
    return float(np.count_nonzero(db > threshold)) * FRAME_S


def clean_transcript(text: str, language: str | None, prompt: str = "", speech_s: float | None = None) -> Cleaned:
    """``language``: Whisper code (zh, en). ``prompt``: the decoder's initial prompt text."""
    zh = language == "zh"
    # Per second of *loud* frames (pauses and soft consonants excluded): brisk English reaches
    # ~7 words there ("I would like to speak to an agent": 8 words in 1.2 s), fluent Mandarin ~10
    # syllables (a warm-transfer summary was dropped at 8). Hallucinations run far above either.
    screened = screen(text, prompt, speech_s, chars_per_s=12.0 if zh else 8.0)
    out = clean_zh(screened.text) if zh and screened.text else screened.text
    return Cleaned(out, screened.reason)
