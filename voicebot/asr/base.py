"""The one speech-recognition interface. Engines register in voicebot/asr/engines.py (whisper, vosk, ...)."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from voicebot.asr.protocol import Kind


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float  # 0..1; whisper: exp(mean token log-prob), vosk: mean word conf
    language: str
    audio_s: float  # seconds of audio recognised
    elapsed_s: float  # wall time spent recognising
    raw_text: str = ""  # the decoder's text before hallucinations were removed and Chinese cleaned up
    dropped: str = ""  # why (part of) raw_text is not in text ('' = nothing dropped)
    no_speech_prob: float = 0.0  # whisper's estimate that nobody spoke
    # State-aware recognition (asr/closed_set.py): the free transcript a chosen expected answer
    # replaced ('' = none replaced), and how clearly the best expected answer won, in nats.
    free_text: str = ""
    expected_margin: float | None = None
    # asr.closed_set_fallback: the expected answer that clearly fits a short turn's sound best, for
    # the dialogue to take only when it understands nothing the state handles in ``text`` ('' = none).
    fallback_text: str = ""
    fallback_margin: float | None = None


@dataclass(frozen=True)
class ExpectedPhrase:
    """An answer the call expects now, and what it means: phrases that mean the same (满意, 很满意:
    both a 5) do not compete when the recogniser asks whether the best one clearly won."""
    text: str
    meaning: str = ""  # '' = the text itself
    # May replace the free decode by its sound (asr.closed_set says where); False = only offered to
    # the dialogue for a turn it does not understand (asr.closed_set_fallback).
    choose: bool = True

    @property
    def sense(self) -> str:
        return self.meaning or self.text


Expected = tuple["str | ExpectedPhrase", ...]


def as_phrases(expected: Expected) -> list[ExpectedPhrase]:
    return [e if isinstance(e, ExpectedPhrase) else ExpectedPhrase(e) for e in expected]


def phrases(expected: Expected) -> tuple[list[str], dict[str, str]]:
    """The texts that may be chosen by sound, and what each means (a plain text means itself)."""
    items = [e for e in as_phrases(expected) if e.choose]
    return [e.text for e in items], {e.text: e.sense for e in items}


class RecognizerStream(Protocol):
    """Incremental recognition of one utterance (vosk). Fed off the media thread."""

    def accept(self, pcm: np.ndarray) -> str | None:
        """Feed int16 audio at the recognizer's rate; returns the new partial text, if any."""

    def finish(self) -> Transcript: ...


class Recognizer(Protocol):
    """Loaded once per process and shared by every call; must be safe to call from several threads."""

    name: str
    sample_rate: int  # rate ``transcribe`` expects

    def transcribe(self, pcm: np.ndarray, language: str | None = None, prompt: str = "",
                   expected: Expected = ()) -> Transcript:
        """int16 (or float32 in -1..1) mono audio at ``sample_rate``. ``prompt``: the call's domain
        words (company, product, offers) for backends that take a hint ('' = none). ``expected``:
        short answers the call expects now (texts or ``ExpectedPhrase``), which a backend may score
        against the audio."""

    def stream(self, language: str | None = None) -> RecognizerStream | None:
        """A streaming session, or None when the backend only recognises whole utterances."""


@runtime_checkable
class QueuedRecognizer(Recognizer, Protocol):
    """A recogniser that queues utterances of many calls (the recognition service, asr/remote.py): it is
    told whose utterance it is and whether the turn has ended, so end-of-turn work goes first."""

    def submit(self, pcm: np.ndarray, language: str | None = None, call_id: str = "",
               kind: Kind = Kind.FINAL, prompt: str = "", sample_rate: int | None = None,
               expected: Expected = ()) -> Future:
        """``sample_rate``: the audio's rate when it is not ``self.sample_rate`` (resampled for it)."""

    def promote(self, fut: Future) -> None:
        """A speculative recognition became the one the turn waits for."""
