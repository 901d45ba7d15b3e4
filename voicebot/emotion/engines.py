"""The built-in emotion engine, registered with ``EMOTION_ENGINES`` (voicebot/engine_registry.py).

A factory loads the engine's model once and returns what makes one detector per call (a detector keeps
the caller's prosody baseline, so calls never share one).
"""

from __future__ import annotations

from typing import Any, Callable

from voicebot.engine_registry import EMOTION_ENGINES, EmotionCapabilities, EngineSpec


def _prosody(settings: Any) -> Callable[[], Any]:
    from voicebot.emotion.detector import EmotionDetector, prepare

    cfg = settings.emotion
    prepare(cfg.model_path or None)  # load once and warm librosa before the first call
    return lambda: EmotionDetector(cfg)


EMOTION_ENGINES.register(EngineSpec(
    "prosody", "voice features (pitch, energy, rate) against the caller's baseline, plus the words "
               "with emotion.use_lexical; emotion.model_path from `voicebot emotion calibrate`",
    EmotionCapabilities(prosody=True, lexical=True), _prosody))
