"""Intent recognition: the embedded classifier (default), a Rasa server, or another registered NLU engine,
behind IntentClassifier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voicebot.dialogue.nlu.base import FAQ_INTENT, OUT_OF_SCOPE, IntentClassifier, IntentResult
from voicebot.engine_registry import NLU_ENGINES

if TYPE_CHECKING:
    from voicebot.config import Settings


def plan_threshold(plan: Any, settings: Settings) -> float:
    nlu = getattr(getattr(plan, "spec", None), "nlu", None)
    value = getattr(nlu, "threshold", None)
    return float(value) if value is not None else settings.dialogue.out_of_scope_threshold


def plan_encoder(settings: Settings):
    """The shared sentence encoder (None when dialogue.nlu_encoder = "none")."""
    name = settings.dialogue.nlu_encoder
    if name == "none":
        return None
    from voicebot.dialogue.nlu.encoder import shared_encoder

    return shared_encoder(name, settings.paths.cache_dir)


def make_intent_classifier(plan: Any, settings: Settings) -> IntentClassifier:
    """The one place the NLU engine is chosen: the registered engine ``settings.dialogue.engine`` names
    (voicebot/dialogue/nlu/engines.py). ``plan`` needs ``examples`` (intent -> utterances) and ``locale``."""
    return NLU_ENGINES.build(settings.dialogue.engine, plan, settings)


__all__ = ["FAQ_INTENT", "IntentClassifier", "IntentResult", "OUT_OF_SCOPE", "make_intent_classifier"]
