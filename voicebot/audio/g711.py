"""G.711 μ-law in numpy (ITU-T G.711, the segment/bias form), to hear audio as a phone line delivers it.

Benchmarks and tests use it offline; on a live call pjmedia does the coding.
"""

from __future__ import annotations

import numpy as np

_BIAS = 0x84
_CLIP14 = 8159


def ulaw_encode(pcm: np.ndarray) -> np.ndarray:
    """int16 -> μ-law bytes (uint8); bit-exact with the classic Sun/CCITT g711.c coder."""
    x = pcm.astype(np.int32) >> 2  # 14-bit, arithmetic shift as in g711.c
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), _CLIP14) + (_BIAS >> 2)
    exponent = np.maximum(np.floor(np.log2(mag)).astype(np.int32) - 5, 0)
    code = np.where(exponent > 7, 0x7F, (np.minimum(exponent, 7) << 4) | ((mag >> (np.minimum(exponent, 7) + 1)) & 0x0F))
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def ulaw_decode(codes: np.ndarray) -> np.ndarray:
    """μ-law bytes -> int16."""
    u = ~codes.astype(np.int32) & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    mag = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -mag, mag).astype(np.int16)


def phone_line_ulaw(pcm: np.ndarray, rate: int, out_rate: int = 16000) -> np.ndarray:
    """Audio as it arrives over a PCMU call: resampled to 8 kHz, μ-law coded and decoded, back at ``out_rate``."""
    from voicebot.audio.pcm import resample

    narrow = resample(pcm, rate, 8000)
    return resample(ulaw_decode(ulaw_encode(narrow)), 8000, out_rate)
