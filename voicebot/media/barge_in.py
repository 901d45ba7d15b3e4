"""Decides when the callee is really talking over the bot (and not a cough or the bot's echo)."""

from __future__ import annotations

from collections import deque

from voicebot.media.frames import AudioFrame, BargeIn, MediaEvent


class BargeInDetector:
    """Fires once callee speech over bot playout lasts ``barge_in_ms``.

    Guards: short noises never reach the duration; a frame only counts when the callee is
    louder than ``echo_ratio`` x the loudest bot frame of the last ``echo_window_ms``
    (line echo comes back attenuated and delayed); a gap of ``gap_ms`` resets the count.
    """

    def __init__(self, frame_ms: int = 20, barge_in_ms: int = 300, echo_ratio: float = 0.5,
                 echo_window_ms: int = 300, gap_ms: int = 100, enabled: bool = True) -> None:
        self.frame_ms = frame_ms
        self.enabled = enabled
        self._needed = max(1, barge_in_ms // frame_ms)
        self._gap = max(1, gap_ms // frame_ms)
        self._ratio = echo_ratio
        self._bot_levels: deque[float] = deque(maxlen=max(1, echo_window_ms // frame_ms))
        self._run = 0
        self._misses = 0
        self.suppressed_as_echo = 0

    def __call__(self, frame: AudioFrame) -> list[MediaEvent]:
        self._bot_levels.append(frame.bot_rms)
        if not (self.enabled and frame.bot_playing):
            self._run = self._misses = 0
            return []
        counts = frame.is_speech and frame.rms > self._ratio * max(self._bot_levels)
        if frame.is_speech and not counts:
            self.suppressed_as_echo += 1
        if counts:
            self._run += 1
            self._misses = 0
        else:
            self._misses += 1
            if self._misses >= self._gap:
                self._run = 0
        if self._run >= self._needed:
            self._run = 0
            return [BargeIn(frame.index, self._needed * self.frame_ms)]
        return []
