"""Test speech with chosen prosody, through the same synthesis and phone chain as the eval set."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
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
    # The same G.711 mu-law round trip (libsndfile) as the eval files.
    buf = io.BytesIO()
    sf.write(buf, audio, 8000, format="WAV", subtype="ULAW")
    buf.seek(0)
    decoded, _ = sf.read(buf, dtype="int16")
    return decoded
