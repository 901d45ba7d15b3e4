"""From the listener's turn events to transcripts, in turn order, as early as possible.

Speculation: recognition starts in the closing silence (``SpeechPaused``), so the transcript is
often ready when the turn ends; speech resuming cancels it. One speculative job per call at a
time: mid-turn pauses would otherwise queue job after job, and with several calls the queue is
latency. A turn whose recognition is overdue or fails is the emergency plan's business.

Every recognition wakes the session when it finishes (``wake``: the call's inbox). With emotion
detection on, the turn's prosody features are extracted on the engines' emotion pool from the
moment the turn ends, beside its recognition; only the cheap reading with the words is left for
when the transcript arrives.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable

from voicebot.asr.base import Expected, ExpectedPhrase, Transcript
from voicebot.dialogue.base import Dialogue, HelpsRecognition
from voicebot.dialogue.expected import for_recogniser
from voicebot.locales import whisper_language
from voicebot.logs import get_logger
from voicebot.media.frames import Pcm16, SpeechPaused, TurnEnded
from voicebot.session.emergency import EmergencyPlan, EngineFailure
from voicebot.session.results import PendingTurn

if TYPE_CHECKING:
    from voicebot.session.engines import Engines
    from voicebot.session.partials import PartialTranscriber


class TurnRecognition:
    def __init__(self, engines: Engines, locale: str, call_id: str, emergency: EmergencyPlan,
                 prompt: Callable[[], str], partials: PartialTranscriber | None,
                 expected: Callable[[], Expected] | None = None, wake: Callable[[], None] | None = None,
                 prosody: Callable[[Pcm16], Any] | None = None) -> None:
        self.engines, self.call_id, self.emergency = engines, call_id, emergency
        self._wake, self.prosody = wake, prosody
        self.language = whisper_language(locale)
        self._prompt, self.partials, self._expected = prompt, partials, expected
        self.pending: list[PendingTurn] = []
        self._speculative: tuple[int, Future[Transcript]] | None = None  # (start_frame, future)
        self._spec_last: Future[Transcript] | None = None
        self.speculation_shed = 0
        self.log = get_logger("voicebot.session", call_id=call_id)

    def speech_paused(self, event: SpeechPaused) -> None:
        if self._spec_last is not None and not self._spec_last.done():
            return
        if self.engines.recognition_saturated():
            # Under load, speculation is shed first: the final recognition is the one that counts.
            self.speculation_shed += 1
            return
        fut = self._recognise(event.audio, speculative=True)
        self._speculative = (event.start_frame, fut)
        self._spec_last = fut

    def speech_resumed(self) -> None:
        if self._speculative is not None:
            self._speculative[1].cancel()  # only succeeds while queued: running jobs can't stop
            self._speculative = None

    def turn_ended(self, event: TurnEnded, lag_s: float) -> None:
        """``lag_s``: how long ago the speech ended (frames still queued behind its last one)."""
        self._speculative, spec = None, self._speculative
        if self.partials:
            fut = self.partials.finish_turn()
        elif spec is not None and spec[0] == event.start_frame:
            fut = spec[1]
            self.engines.turn_ended(fut)
        else:
            fut = self._recognise(event.audio)
        if self._wake is not None:
            wake = self._wake
            fut.add_done_callback(lambda _done: wake())  # runs at once if it is done already
        features = self.engines.emotion_pool.submit(self.prosody, event.audio) if self.prosody else None
        self.pending.append(PendingTurn(event.start_frame, event.end_frame, time.time() - lag_s, event.audio, fut,
                                        features))

    def waiting_since(self) -> float | None:
        """When the turn whose transcript the call waits for ended (its recognition may become overdue)."""
        if not self.pending or self.pending[0].recognition.done():
            return None
        return self.pending[0].ended_at

    def forget_speculation(self) -> None:
        self._speculative = None

    def clear(self) -> None:
        self.pending.clear()

    def ready(self, on_turn: Callable[[PendingTurn, Transcript], None],
              on_failure: Callable[[EngineFailure], None]) -> None:
        """Hands over finished turns in order; stops at the first still being recognised."""
        while self.pending and self.emergency.failure is None:
            turn = self.pending[0]
            if not turn.recognition.done():
                if self.emergency.asr_overdue(turn.ended_at):
                    turn.recognition.cancel()
                    on_failure(EngineFailure(
                        "asr", "timeout",
                        f"no transcript {self.engines.settings.emergency.asr_timeout_s:g} s after the turn"))
                return
            self.pending.pop(0)
            try:
                transcript: Transcript = turn.recognition.result()
            except Exception as exc:
                self.log.exception("asr_failed")
                on_failure(EngineFailure("asr", "error", str(exc) or type(exc).__name__))
                return
            on_turn(turn, transcript)

    def _recognise(self, audio: Pcm16, speculative: bool = False) -> Future[Transcript]:
        # The plan's domain words (company, product, offers), used when asr.domain_prompt is on.
        expected: Expected = ()
        asr = self.engines.settings.asr
        if (asr.closed_set != "off" or asr.closed_set_fallback) and self._expected is not None:
            expected = self._expected()
        return self.engines.recognise(audio, self.language, self.call_id, speculative, self._prompt(), expected)


def expected_answers(dialogue: Dialogue, closed_set: str, hints: bool = False) -> tuple[ExpectedPhrase, ...]:
    """The dialogue's expected short answers now (dialogue/expected.py); () for engines without them."""
    if not isinstance(dialogue, HelpsRecognition):
        return ()
    return for_recogniser(lambda closed_only: dialogue.expected_answers(closed_only=closed_only), closed_set, hints)


def recognition_prompt(dialogue: Dialogue) -> str:
    """The plan's domain words for the recogniser ('' for engines without them)."""
    return dialogue.recognition_prompt if isinstance(dialogue, HelpsRecognition) else ""
