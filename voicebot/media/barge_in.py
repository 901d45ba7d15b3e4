"""Decides when the callee is really talking over the bot (and not a cough or the bot's echo)."""

from __future__ import annotations

from collections import deque

import numpy as np

from voicebot.media.frames import AudioFrame, BargeIn, MediaEvent


class EchoDetector:
    """Line echo is a delayed, attenuated copy of what the bot plays, so its loudness envelope
    follows the bot's. A callee frame whose recent envelope correlates with the bot's envelope at
    some delay (0-500 ms), and is not louder than it, is echo. Level thresholds alone fail both
    ways: callers speak as loud as the bot, and echo can be loud on bad lines."""

    def __init__(self, frame_ms: int = 20, window_ms: int = 400, max_delay_ms: int = 500,
                 min_correlation: float = 0.9) -> None:
        self._win = max(4, window_ms // frame_ms)
        self._lags = max(1, max_delay_ms // frame_ms)
        self._min_corr = min_correlation
        self._bot: deque[float] = deque([0.0] * (self._win + self._lags), maxlen=self._win + self._lags)
        self._rx: deque[float] = deque([0.0] * self._win, maxlen=self._win)

    def __call__(self, rx_rms: float, bot_rms: float) -> bool:
        self._bot.append(bot_rms)
        self._rx.append(rx_rms)
        rx = np.fromiter(self._rx, float, self._win)
        if rx.std() < 1e-6:
            return False
        bot = np.fromiter(self._bot, float, len(self._bot))
        n = len(bot)
        for lag in range(self._lags + 1):
            ref = bot[n - self._win - lag: n - lag]
            if ref.std() < 1e-6 or rx[-1] > 1.2 * ref[-1] + 1.0:
                continue
            if np.corrcoef(rx, ref)[0, 1] >= self._min_corr:
                return True
        return False


class BargeInDetector:
    """Fires once callee speech over bot playout lasts ``barge_in_ms``.

    Guards: short noises never reach the duration; frames that look like the bot's own echo
    (``EchoDetector``) don't count; a gap of ``gap_ms`` resets the count.
    """

    def __init__(self, frame_ms: int = 20, barge_in_ms: int = 300, echo_correlation: float = 0.9,
                 gap_ms: int = 100, enabled: bool = True) -> None:
        self.frame_ms = frame_ms
        self.enabled = enabled
        self._needed = max(1, barge_in_ms // frame_ms)
        self._gap = max(1, gap_ms // frame_ms)
        self._echo = EchoDetector(frame_ms, min_correlation=echo_correlation)
        self._run = 0
        self._misses = 0
        self.suppressed_as_echo = 0

    def __call__(self, frame: AudioFrame) -> list[MediaEvent]:
        echo = self._echo(frame.rms, frame.bot_rms)
        if not (self.enabled and frame.bot_playing):
            self._run = self._misses = 0
            return []
        counts = frame.is_speech and not echo
        if frame.is_speech and echo:
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
