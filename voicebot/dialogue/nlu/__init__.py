"""Intent recognition: the embedded classifier (default) or a Rasa server, behind IntentClassifier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE, IntentClassifier, IntentResult

if TYPE_CHECKING:
    from voicebot.config import Settings


def plan_threshold(plan: Any, settings: Settings) -> float:
    nlu = getattr(getattr(plan, "spec", None), "nlu", None)
    value = getattr(nlu, "threshold", None)
    return float(value) if value is not None else settings.dialogue.out_of_scope_threshold


def make_intent_classifier(plan: Any, settings: Settings) -> IntentClassifier:
    """The one place the NLU engine is chosen (settings.dialogue.engine). ``plan`` needs
    ``examples`` (intent -> utterances) and ``locale``."""
    threshold = plan_threshold(plan, settings)
    engine = settings.dialogue.engine
    if engine == "embedded":
        from voicebot.dialogue.nlu.embedded import EmbeddedIntentClassifier

        return EmbeddedIntentClassifier(plan.examples, plan.locale, threshold,
                                        getattr(plan, "out_of_scope_examples", None))
    if engine == "rasa":
        from voicebot.dialogue.nlu.rasa_client import RasaIntentClassifier  # written on the rasa branch

        return RasaIntentClassifier(settings.dialogue.rasa_url, threshold)
    raise ValueError(f"unknown dialogue.engine {engine!r}: use 'embedded' or 'rasa'")


__all__ = ["IntentClassifier", "IntentResult", "OUT_OF_SCOPE", "make_intent_classifier"]
