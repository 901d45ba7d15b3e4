"""espeak-ng voices: robotic, tiny, every language. The Mandarin fallback and the callee simulator's voices."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import soundfile as sf

from voicebot.errors import ModelError


def to_pinyin(text: str) -> str:
    """espeak-ng's usable Mandarin voice (cmn-latn-pinyin) reads tone-numbered pinyin, not Hanzi."""
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


class EspeakSynthesizer:
    def __init__(self, voice: str, pitch: int | None = None, rate: int | None = None,
                 amplitude: int | None = None) -> None:
        if shutil.which("espeak-ng") is None:
            raise ModelError("espeak-ng is not installed: apt-get install espeak-ng")
        self.voice = voice
        self._args = ["espeak-ng", "-v", voice, "--stdout"]
        for flag, value in (("-p", pitch), ("-s", rate), ("-a", amplitude)):
            if value is not None:
                self._args += [flag, str(int(value))]
        probe = subprocess.run(self._args + ["a"], capture_output=True)
        if probe.returncode != 0 or not probe.stdout:
            raise ModelError(f"espeak-ng has no voice {voice!r}: {probe.stderr.decode(errors='replace').strip()}")
        self.sample_rate = sf.info(io.BytesIO(probe.stdout)).samplerate
        self.voice_id = f"espeak:{voice}:{pitch}:{rate}:{amplitude}"
        self._pinyin = voice.startswith("cmn-latn-pinyin")

    def synthesize(self, text: str) -> np.ndarray:
        if self._pinyin and any("\u4e00" <= ch <= "\u9fff" for ch in text):
            text = to_pinyin(text)
        out = subprocess.run(self._args + ["--", text], capture_output=True, check=True).stdout
        audio, _ = sf.read(io.BytesIO(out), dtype="int16")
        return audio if audio.ndim == 1 else audio[:, 0]
