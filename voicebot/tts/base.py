"""The one speech-synthesis interface."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Synthesizer(Protocol):
    """One voice, loaded once and shared by every call; safe to call from several threads."""

    voice_id: str  # stable key for the prompt cache, e.g. "piper:en_US-joe-medium"
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray:
        """Whole text -> mono int16 at ``sample_rate``."""
