"""Voice activity per frame: webrtcvad, gated by energy.

Two gates on top of webrtcvad: a fixed floor (it fires on faint hiss) and a level relative to
the current speaker's recent speech. The second one matters for latency: webrtcvad keeps
flagging speech for 100-200 ms after a voice fades (its own hangover), which would delay the
end-of-turn decision by that much.
"""

from __future__ import annotations

import numpy as np
import webrtcvad

from voicebot.media.frames import AudioFrame


def frame_rms(pcm: bytes) -> float:
    if not pcm:
        return 0.0
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    return float(np.sqrt(np.dot(x, x) / len(x)))


class VoiceActivityDetector:
    def __init__(self, sample_rate: int, aggressiveness: int = 2, floor_dbfs: float = -48.0,
                 relative_db: float = -22.0) -> None:
        if sample_rate not in (8000, 16000, 32000, 48000):
            raise ValueError(f"webrtcvad supports 8/16/32/48 kHz, not {sample_rate}")
        self.sample_rate = sample_rate
        self._vad = webrtcvad.Vad(aggressiveness)
        self._floor = 32768.0 * 10 ** (floor_dbfs / 20)
        self._relative = 10 ** (relative_db / 20)
        self._speech_level = 0.0  # slow average of RMS over recent speech frames

    def __call__(self, frame: AudioFrame) -> AudioFrame:
        rms = frame_rms(frame.pcm)
        speech = rms >= max(self._floor, self._speech_level * self._relative) and self._vad.is_speech(
            frame.pcm, self.sample_rate)
        if speech:
            self._speech_level += 0.05 * (rms - self._speech_level) if self._speech_level else rms
        return AudioFrame(frame.pcm, frame.index, frame.bot_rms, frame.bot_playing, speech, rms)
