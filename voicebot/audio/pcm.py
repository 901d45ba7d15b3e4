"""PCM helpers shared by every stage. Audio inside voicebot is mono int16 numpy arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr


def to_float32(pcm: np.ndarray) -> np.ndarray:
    if pcm.dtype == np.float32:
        return pcm
    return pcm.astype(np.float32) / 32768.0


def to_int16(audio: np.ndarray) -> np.ndarray:
    if audio.dtype == np.int16:
        return audio
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)


def resample(pcm: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample mono int16 or float32; returns the input dtype."""
    if src_rate == dst_rate or len(pcm) == 0:
        return pcm
    out = soxr.resample(to_float32(pcm), src_rate, dst_rate, quality="HQ")
    return to_int16(out) if pcm.dtype == np.int16 else out.astype(np.float32)


def rms_dbfs(pcm: np.ndarray) -> float:
    if len(pcm) == 0:
        return -120.0
    x = to_float32(pcm).astype(np.float64)
    r = float(np.sqrt(np.mean(x * x)))
    return 20.0 * np.log10(max(r, 1e-6))


def read_wav(path: str | Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read any soundfile-readable file as mono int16, optionally resampled to ``rate``."""
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1).astype(np.float32)
    if rate is not None and rate != sr:
        mono = resample(mono, sr, rate)
        sr = rate
    return to_int16(mono), sr


def write_wav(path: str | Path, pcm: np.ndarray, rate: int) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), to_int16(pcm), rate, subtype="PCM_16")
