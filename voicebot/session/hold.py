"""What the customer hears while the bot consults an agent (warm transfer): a short line, then music.

Silence on hold reads as a dropped call (measured before this existed: 7.5 s of it during a consult).
The music is generated here (a slow, soft arpeggio), so no audio file has to ship or be licensed.
Audio is queued on the customer's port a couple of seconds ahead, topped up from the transfer thread.
"""

from __future__ import annotations

import numpy as np

from voicebot.media.frames import Pcm16
from voicebot.transport.base import MediaPort

HOLD_LINES = {
    "en-US": "Please hold for a moment while I connect you to a colleague.",
    "zh-CN": "请您稍等，我马上为您转接人工客服。",
}
QUEUE_AHEAD_S = 2.0


def hold_music(rate: int, seconds: float = 8.0) -> Pcm16:
    """A loopable arpeggio (C major 7, then A minor 7), about -24 dBFS, int16 at ``rate``."""
    notes = [261.63, 329.63, 392.0, 493.88, 220.0, 261.63, 329.63, 392.0]
    note_s = seconds / len(notes)
    t = np.arange(int(rate * note_s)) / rate
    envelope = np.minimum(1.0, t / 0.03) * np.exp(-2.5 * t)  # soft attack, bell-like decay
    parts = [(np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)) * envelope for f in notes]
    wave = np.concatenate(parts) * 0.06 * 32767 / 1.3
    return wave.astype(np.int16)


class HoldPlayer:
    def __init__(self, port: MediaPort | None, rate: int, prompt: Pcm16 | None = None) -> None:
        self.port, self.rate = port, rate
        self._music = hold_music(rate).tobytes()
        self._pos = 0
        self.played_s = 0.0
        self.active = port is not None
        if port is not None and prompt is not None and len(prompt):  # port is not None: active
            port.stop_playout()
            port.enqueue_audio(prompt.tobytes())
            self.played_s += len(prompt) / rate

    def top_up(self) -> None:
        """Keep about QUEUE_AHEAD_S of music queued (transfer thread; a deque append is thread-safe)."""
        if not self.active:
            return
        assert self.port is not None  # active: there is a port
        queued_s = len(self.port.tx) * self.port.frame_bytes / 2 / self.rate
        if queued_s >= QUEUE_AHEAD_S:
            return
        need = int((QUEUE_AHEAD_S - queued_s + 0.5) * self.rate) * 2
        chunk = b""
        while len(chunk) < need:
            take = self._music[self._pos:self._pos + need - len(chunk)]
            chunk += take
            self._pos = (self._pos + len(take)) % len(self._music)
        self.port.enqueue_audio(chunk)
        self.played_s += len(chunk) / 2 / self.rate

    def stop(self) -> None:
        if self.active:
            self.active = False
            assert self.port is not None  # it was active: there is a port
            self.port.stop_playout()
