"""The caller's emotion, turn by turn: the call's detector, with its costly part off the session thread.

A detector that reads turns in two steps (``ReadsTurnsInTwoSteps``: the built-in prosody one) has
its features extracted on the engines' emotion pool as the turn ends (``TurnRecognition``), in
parallel with recognition; the session then only reads them with the transcript. Features are
normally ready long before the transcript (~3 ms CPU per second of audio against ~170 ms of
recognition); when they are not, the turn waits for them. Any other detector is asked
``analyze_turn`` on the session thread, as before.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from voicebot.emotion.types import EmotionReading, ReadsTurnsInTwoSteps
from voicebot.media.frames import Pcm16
from voicebot.session.results import PendingTurn


class TurnEmotion:
    def __init__(self, detector: Any, sample_rate: int, log: Any) -> None:
        self.detector, self.sample_rate, self.log = detector, sample_rate, log
        # What TurnRecognition runs on the emotion pool for each finished turn; None: nothing.
        self.prosody: Callable[[Pcm16], Any] | None = (
            partial(detector.features, sample_rate=sample_rate) if isinstance(detector, ReadsTurnsInTwoSteps) else None)

    def read(self, turn: PendingTurn, text: str) -> EmotionReading | None:
        """The turn's reading, in turn order; None when the detector failed (the call goes on)."""
        try:
            if turn.features is not None and isinstance(self.detector, ReadsTurnsInTwoSteps):
                return self.detector.read_turn(turn.features.result(), text)
            reading: EmotionReading = self.detector.analyze_turn(turn.audio, self.sample_rate, text)
            return reading
        except Exception:
            self.log.exception("emotion_failed")
            return None
