"""The built-in recognisers, registered with ``ASR_ENGINES`` (voicebot/engine_registry.py).

Factories import their model libraries when called: listing or validating engine names loads nothing.
``load_recognizer`` (voicebot/asr/__init__.py) caches what a factory builds, one per process.
"""

from __future__ import annotations

from typing import Any

from voicebot.engine_registry import ASR_ENGINES, AsrCapabilities, EngineSpec


def _whisper(settings: Any) -> Any:
    from voicebot.asr import in_low_priority_thread
    from voicebot.asr.models import resolve_whisper_model
    from voicebot.asr.whisper import WhisperRecognizer

    cfg = settings.asr
    path = resolve_whisper_model(settings)
    # CTranslate2's compute threads inherit the loading thread's (lowered) priority.
    return in_low_priority_thread(
        lambda: WhisperRecognizer(path, cfg.model_copy(deep=True), f"asr.whisper_model={cfg.whisper_model}"))


def _check_whisper(settings: Any, prepare: bool) -> str:
    from voicebot.asr.models import find_whisper_model, resolve_whisper_model

    path = (resolve_whisper_model if prepare else find_whisper_model)(settings)
    return f"whisper {settings.asr.whisper_model}: {path}"


def _vosk(settings: Any) -> Any:
    from voicebot.asr.models import resolve_vosk_model
    from voicebot.asr.vosk_backend import VoskRecognizer

    return VoskRecognizer(resolve_vosk_model(settings))


ASR_ENGINES.register(EngineSpec(
    "whisper", "faster-whisper (CTranslate2), whole utterances; asr.whisper_model",
    AsrCapabilities(sample_rate=16000, closed_set=True, domain_prompt=True, shared_service=True),
    _whisper, check=_check_whisper))
ASR_ENGINES.register(EngineSpec(
    "vosk", "Vosk (Kaldi), streaming with partial results; asr.vosk_model",
    AsrCapabilities(sample_rate=16000, streaming=True, partials=True), _vosk))
