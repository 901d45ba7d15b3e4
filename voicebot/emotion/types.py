"""Emotion data that crosses modules (detector -> dialogue, events, outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EmotionLabel = Literal["neutral", "positive", "agitated", "withdrawn"]


@dataclass(frozen=True)
class EmotionReading:
    label: EmotionLabel
    confidence: float
    # Why: the features (z-scores against the caller's baseline, lexical cues) that drove the label.
    evidence: dict[str, float] = field(default_factory=dict)
    turn_index: int = 0
