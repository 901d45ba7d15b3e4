"""Intent recognition: the embedded classifier (default) or a Rasa server, behind IntentClassifier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voicebot.dialogue.nlu.base import FAQ_INTENT, OUT_OF_SCOPE, IntentClassifier, IntentResult

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
    """The one place the NLU engine is chosen (settings.dialogue.engine). ``plan`` needs
    ``examples`` (intent -> utterances) and ``locale``."""
    engine = settings.dialogue.engine
    if engine == "embedded":
        from voicebot.dialogue.nlu.classifier_cache import TrainingInputs, classifier_cache

        nlu = getattr(getattr(plan, "spec", None), "nlu", None)
        fixed = getattr(nlu, "threshold", None)  # a plan may still set one by hand; default: calibrated
        examples = dict(plan.examples)
        faq = getattr(plan, "faq", None)
        if faq is not None:
            # FAQ questions are one more class: the classifier learns where the script's intents end
            # and product questions begin (滤网多少钱 is the FAQ, 多少钱 is ask_price).
            # A few phrasings per entry: the whole FAQ would outweigh the script's intents (多少 is
            # still ask_price); the retriever itself matches against every phrasing.
            examples[FAQ_INTENT] = faq.classifier_questions()
        inputs = TrainingInputs(examples, plan.locale, fixed, list(getattr(plan, "out_of_scope_examples", None) or []),
                                str(getattr(plan, "path", "") or ""))
        encoder = plan_encoder(settings)
        # An unchanged plan is not retrained: a restart, `dialplan check` or `chat` reads the last result.
        cache = classifier_cache(settings.paths.cache_dir)
        return cache.classifier(inputs, encoder) if cache is not None else inputs.train(encoder)
    threshold = plan_threshold(plan, settings)
    if engine == "rasa":
        from voicebot.dialogue.nlu.rasa_client import RasaIntentClassifier

        return RasaIntentClassifier(settings.dialogue.rasa_url, threshold, settings.dialogue.rasa_timeout_s)
    raise ValueError(f"unknown dialogue.engine {engine!r}: use 'embedded' or 'rasa'")


__all__ = ["FAQ_INTENT", "IntentClassifier", "IntentResult", "OUT_OF_SCOPE", "make_intent_classifier"]
