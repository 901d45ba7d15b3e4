"""Everything heavy, loaded once per process and shared by every call: ASR, TTS, dialogue plans."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from voicebot.asr.base import Expected, QueuedRecognizer, Recognizer, Transcript
from voicebot.call_events import CallEvent, EventSink
from voicebot.config import Settings
from voicebot.dialogue.base import DialogueFactory
from voicebot.engine_registry import ASR_ENGINES, EMOTION_ENGINES, AsrCapabilities, dialogue_engine
from voicebot.logs import get_logger
from voicebot.media.frames import Pcm16
from voicebot.session.recording_health import RecordingHealth

log = get_logger("voicebot.engines")
ASR_WORKERS = 2


@dataclass
class Engines:
    settings: Settings
    recognizer: Recognizer
    renderer: Any  # voicebot.tts.renderer.SpeechRenderer
    dialogues: DialogueFactory
    emotion_factory: Callable[[], Any] | None = None  # -> EmotionDetector, one per call
    streaming_asr: bool = False  # the recognizer gives partial results (vosk)
    sinks: list[EventSink] = field(default_factory=list)
    listen_taps: Any = None  # voicebot.supervisor.audio_tap.ListenTaps when calls can be listened to
    # Whether recordings are being written (a full disk degrades /readyz until one is again).
    recording_health: RecordingHealth = field(default_factory=RecordingHealth)
    # Recognition is CPU-bound C++ that releases the GIL: two workers keep both cores busy.
    asr_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(ASR_WORKERS, thread_name_prefix="asr"))
    tts_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="tts"))
    # Prosody features of finished turns (emotion detection), beside their recognition: off the
    # session threads, ~3 ms CPU per second of audio.
    emotion_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="emotion"))
    # What the configured ASR engine declares (engine registry); None = not known (a test's own recognizer).
    asr_capabilities: AsrCapabilities | None = None

    def __post_init__(self) -> None:
        self._in_flight = 0  # recognitions submitted to asr_pool and not finished
        self._in_flight_lock = threading.Lock()
        # recording.keep_raw_encrypted: the key is loaded once, at start-up, so a missing or wrong
        # key stops the server with a clear error instead of losing the raw words call by call.
        self.transcript_key: Any = None
        rec = self.settings.recording
        if rec.enabled and rec.mask_transcripts and rec.keep_raw_encrypted:
            from voicebot.recording.raw_vault import load_key

            self.transcript_key = load_key(rec)

    def publish(self, event: CallEvent) -> None:
        for sink in self.sinks:
            try:
                sink(event)
            except Exception:  # a broken sink must never break a call
                log.exception("event_sink_failed", sink=repr(sink))

    def recognise(self, audio: Pcm16, language: str | None, call_id: str, speculative: bool = False,
                  prompt: str = "", expected: Expected = ()) -> Future[Transcript]:
        """Recognition of one utterance. A recognition service (asr.service) takes the call id and
        whether the turn has ended, so end-of-turn work goes first and stale speculation is dropped."""
        if expected and self.asr_capabilities is not None and not self.asr_capabilities.closed_set:
            expected = ()  # the engine scores no expected answers: the free transcript stands alone
        if isinstance(self.recognizer, QueuedRecognizer):
            from voicebot.asr.protocol import Kind

            return self.recognizer.submit(audio, language, call_id, Kind.SPECULATIVE if speculative else Kind.FINAL,
                                          sample_rate=self.settings.media.clock_rate, expected=expected)
        if expected:  # the state's expected answers, scored against a short turn (asr.closed_set_margin)
            args: tuple[Any, ...] = (audio, language, prompt, expected)
        elif prompt:  # the call's domain words (asr.domain_prompt); the recognition service takes none
            args = (audio, language, prompt)
        else:
            args = (audio, language)
        with self._in_flight_lock:
            self._in_flight += 1
        future = self.asr_pool.submit(self.recognizer.transcribe, *args)
        future.add_done_callback(self._recognition_done)
        return future

    def _recognition_done(self, _future: Future[Transcript]) -> None:
        with self._in_flight_lock:
            self._in_flight -= 1

    def recognition_saturated(self) -> bool:
        """Every in-process recognition worker is taken: a speculative job now would only queue in
        front of other calls' finished turns. (A recognition service orders its own queue.)"""
        if isinstance(self.recognizer, QueuedRecognizer):
            return False
        with self._in_flight_lock:
            return self._in_flight >= min(ASR_WORKERS, self.settings.turn.speculation_max_in_flight)

    def turn_ended(self, recognition: Future[Transcript]) -> None:
        """A speculative recognition became the one the turn waits for."""
        if isinstance(self.recognizer, QueuedRecognizer):
            self.recognizer.promote(recognition)

    def close(self) -> None:
        if self.settings.fault_drill.asr or self.settings.fault_drill.tts:
            from voicebot.session.fault_drill import release_hung

            release_hung()
        self.asr_pool.shutdown(wait=False, cancel_futures=True)
        self.tts_pool.shutdown(wait=False, cancel_futures=True)
        self.emotion_pool.shutdown(wait=False, cancel_futures=True)


def load_dialogue_factory(settings: Settings) -> DialogueFactory:
    """The registered dialogue engine ``dialogue.plan`` selects (voicebot/dialogue/engines.py)."""
    factory: DialogueFactory = dialogue_engine(settings.dialogue.plan).factory(settings)
    return factory


def load_engines(settings: Settings, sinks: list[EventSink] | None = None) -> Engines:
    """Loads and checks every model up front, so a missing or corrupt one fails at start-up."""
    from voicebot.asr import load_recognizer
    from voicebot.session.emergency import prompts as emergency_prompts
    from voicebot.tts.renderer import SpeechRenderer

    t0 = time.perf_counter()
    recognizer = load_recognizer(settings)
    t1 = time.perf_counter()
    renderer = SpeechRenderer(settings, settings.media.clock_rate)
    dialogues = load_dialogue_factory(settings)
    t2 = time.perf_counter()
    prompts: list[tuple[str, str]] = list(dialogues.prompts())
    if settings.recording.consent_announcement:
        prompts += list(settings.recording.consent_text.items())
    prompts += emergency_prompts(settings)
    renderer.prerender(prompts)
    t3 = time.perf_counter()
    emotion_factory = _emotion_factory(settings)
    # Warm the recognizer so the first caller doesn't pay for lazy initialisation.
    import numpy as np

    recognizer.transcribe(np.zeros(settings.media.clock_rate // 2, dtype=np.int16), None)
    log.info("engines_loaded", asr_s=round(t1 - t0, 2), tts_dialogue_s=round(t2 - t1, 2),
             prerender_s=round(t3 - t2, 2), prompts=len(prompts), asr=recognizer.name)
    recognizer, renderer = _fault_drill(settings, recognizer, renderer, prompts)
    streaming = recognizer.stream(None) is not None
    return Engines(settings, recognizer, renderer, dialogues, emotion_factory, streaming, list(sinks or []),
                   asr_capabilities=ASR_ENGINES.get(settings.asr.backend).capabilities)


def _fault_drill(settings: Settings, recognizer: Recognizer, renderer: Any,
                 prompts: list[tuple[str, str]]) -> tuple[Recognizer, Any]:
    """Wraps engines that are to fail on purpose ([fault_drill]); after warm-up, so start-up works."""
    drill = settings.fault_drill
    if drill.asr:
        from voicebot.session.fault_drill import DrillRecognizer

        recognizer = DrillRecognizer(recognizer, drill)
    if drill.tts:
        from voicebot.session.emergency import prompts as emergency_prompts
        from voicebot.session.fault_drill import DrillRenderer

        renderer = DrillRenderer(renderer, drill, {text for _, text in emergency_prompts(settings)})
    if drill.asr or drill.tts:
        log.warning("fault_drill_on", asr=drill.asr or None, tts=drill.tts or None, after_uses=drill.after_uses,
                    hint="engines fail on purpose: an emergency drill, never for real customers")
    return recognizer, renderer


def _emotion_factory(settings: Settings) -> Callable[[], Any] | None:
    """One detector per call (it keeps the caller's prosody baseline); the registered engine
    (emotion.engine) loads its model once and returns the per-call maker."""
    if not settings.emotion.enabled:
        return None
    factory: Callable[[], Any] = EMOTION_ENGINES.build(settings.emotion.engine, settings)
    return factory
