"""What a call session produces: its pending turns, per-turn timings and the final result."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class PendingTurn:
    start_frame: int
    end_frame: int
    ended_at: float  # wall time the callee's speech ended (last speech frame)
    audio: np.ndarray
    recognition: Future


@dataclass
class TurnTiming:
    end_of_speech_to_first_audio_ms: float
    asr_ms: float


@dataclass
class SessionResult:
    call_id: str
    outcome: dict[str, Any]
    recording: str | None
    transcript: str | None
    timings: list[TurnTiming] = field(default_factory=list)
