"""What flows between media stages: 20 ms audio frames in, turn-taking events out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

# Mono int16 audio at the call's clock rate: what flows from the port to the recogniser and back.
Pcm16: TypeAlias = npt.NDArray[np.int16]


@dataclass(frozen=True)
class AudioFrame:
    pcm: bytes  # callee audio, mono int16 at the call's clock rate
    index: int  # frame number since the call was answered
    bot_rms: float = 0.0  # RMS of what the bot played in the same tick (echo reference)
    bot_playing: bool = False
    is_speech: bool = False  # set by the VAD stage
    rms: float = 0.0  # set by the VAD stage


@dataclass(frozen=True)
class SpeechStarted:
    frame: int
    audio: Pcm16  # pre-roll and the speech that opened the turn (for streaming recognisers)


@dataclass(frozen=True)
class SpeechPaused:
    """The callee has been silent long enough to start recognising speculatively."""

    frame: int
    start_frame: int
    audio: Pcm16


@dataclass(frozen=True)
class SpeechResumed:
    frame: int


@dataclass(frozen=True)
class TurnEnded:
    start_frame: int
    end_frame: int  # last speech frame
    audio: Pcm16  # int16, from pre-roll to a short silence tail
    overlapped_bot: bool  # the bot was still playing when the turn ended


@dataclass(frozen=True)
class BargeIn:
    frame: int
    speech_ms: int


MediaEvent = SpeechStarted | SpeechPaused | SpeechResumed | TurnEnded | BargeIn
