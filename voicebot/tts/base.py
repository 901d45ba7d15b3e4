"""The one speech-synthesis interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Synthesizer(Protocol):
    """One voice, loaded once and shared by every call; safe to call from several threads."""

    voice_id: str  # stable key for the prompt cache, e.g. "piper:en_US-joe-medium"
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray:
        """Whole text -> mono int16 at ``sample_rate``."""


@dataclass(frozen=True)
class VoiceRequest:
    """What a TTS engine's factory is given (voicebot/engine_registry.py, TTS_ENGINES)."""

    argument: str  # what the voice spec names after "<engine>:" ('' = the engine's own default voice)
    length_scale: float = 1.0  # speaking rate (above 1 = slower)
    models_dir: Path | None = None  # where prepared models live (paths.models_dir)
    options: dict[str, Any] = field(default_factory=dict)  # engine-specific (a persona's voice_options)
