"""What a call session produces: its pending turns, per-turn timings and the final result."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voicebot.asr.base import Transcript
    from voicebot.media.frames import Pcm16


@dataclass
class PendingTurn:
    start_frame: int
    end_frame: int
    ended_at: float  # wall time the callee's speech ended (last speech frame)
    audio: Pcm16
    recognition: Future[Transcript]
    # The turn's prosody features (emotion detection), computed beside recognition; None without it.
    features: Future[Any] | None = None


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
