"""Is a voice understood on the phone? Synthesise -> 8 kHz G.711 μ-law -> the product's Whisper ->
character error rate against what was meant. Used by benchmarks/tts_zh.py and the voice tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from voicebot.audio.g711 import phone_line_ulaw
from voicebot.tts.zh_normalize import normalize_zh

_NOT_COMPARED = re.compile(r"[\s\W_]+", re.UNICODE)


def canonical_zh(text: str) -> str:
    """Both sides are compared as spoken simplified Hanzi: traditional characters folded (Whisper
    sometimes answers in them), digits, symbols and Latin letters read out by the normaliser
    (Whisper writes "99元" where the voice said 九十九元), punctuation and spaces dropped."""
    return _NOT_COMPARED.sub("", normalize_zh(_to_simplified(text)))


_t2s = None


def _to_simplified(text: str) -> str:
    global _t2s
    if _t2s is None:
        from opencc import OpenCC  # opencc-python-reimplemented

        _t2s = OpenCC("t2s")
    return _t2s.convert(text)


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def character_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edits, reference length) after canonical_zh on both."""
    ref, hyp = canonical_zh(reference), canonical_zh(hypothesis)
    return edit_distance(ref, hyp), len(ref)


@dataclass(frozen=True)
class RoundTrip:
    text: str
    heard: str
    errors: int
    length: int

    @property
    def cer(self) -> float:
        return self.errors / max(1, self.length)


def round_trip(audio: np.ndarray, rate: int, text: str, recognizer, language: str = "zh") -> RoundTrip:
    """``audio`` (int16 at ``rate``) over a PCMU line to ``recognizer`` (the product's Recognizer)."""
    line = phone_line_ulaw(audio, rate, recognizer.sample_rate)
    pad = np.zeros(recognizer.sample_rate // 4, dtype=np.int16)
    heard = recognizer.transcribe(np.concatenate([pad, line, pad]), language).text
    errors, length = character_errors(text, heard)
    return RoundTrip(text=text, heard=heard, errors=errors, length=length)
