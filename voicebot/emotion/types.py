"""Emotion data that crosses modules (detector -> dialogue, events, outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

EmotionLabel = Literal["neutral", "positive", "agitated", "withdrawn"]


@dataclass(frozen=True)
class EmotionReading:
    label: EmotionLabel
    confidence: float
    # Why: the features (z-scores against the caller's baseline, lexical cues) that drove the label.
    evidence: dict[str, float] = field(default_factory=dict)
    turn_index: int = 0


@runtime_checkable
class ReadsTurnsInTwoSteps(Protocol):
    """A detector whose costly audio part can run apart from the reading with the words: the session
    extracts ``features`` on a worker pool as the turn ends, beside recognition, and calls
    ``read_turn`` (cheap, in turn order) once the transcript is there. A detector with only
    ``analyze_turn(pcm, sample_rate, text)`` still works, all of it on the session thread."""

    def features(self, pcm: Any, sample_rate: int) -> Any: ...

    def read_turn(self, features: Any, text: str = "", no_match_count: int = 0) -> EmotionReading: ...
