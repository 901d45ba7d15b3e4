"""Test speech with chosen prosody, through the same synthesis and phone chain as the eval set."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from make_eval_set import Rendering, Speaker, Utterance, render

CALM = Rendering(pitch_pct=0.0, range_pct=0.0, rate_pct=0.0, level_db=0.0, tremolo=0.0, pause_ms=0)


def speak(voice: str, base_pitch: int, level_db: float, spoken: str, rendering: Rendering = CALM,
          tag: str = "t") -> np.ndarray:  # fmt: skip
    """8 kHz int16 phone-band G.711-quality speech from espeak-ng."""
    spk = Speaker(f"test_{voice}", "espeak", "en", voice, base_pitch, level_db, "test")
    utt = Utterance(f"{tag}_{abs(hash((spoken, rendering))) % 10**8}", spk.name, "test", "en", "", 0, spoken,
                    spoken, rendering)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        audio = render(utt, spk, None, Path(tmp))
    # The same mu-law quantisation the eval files get from libsndfile.
    mu = np.sign(audio) * np.log1p(255 * np.abs(audio)) / np.log1p(255)
    audio = np.sign(mu) * np.expm1(np.abs(np.round(mu * 127) / 127) * np.log1p(255)) / 255
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16)
