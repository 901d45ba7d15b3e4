"""The built-in intent recognisers, registered with ``NLU_ENGINES`` (voicebot/engine_registry.py) and chosen
by ``dialogue.engine``. A factory takes the plan (``examples``, ``locale``, optionally ``faq``, ``spec.nlu``,
``out_of_scope_examples``) and the settings; it trains or connects only when called."""

from __future__ import annotations

from typing import Any

from voicebot.dialogue.nlu import FAQ_INTENT, plan_encoder, plan_threshold
from voicebot.engine_registry import NLU_ENGINES, EngineSpec, NluCapabilities


def _embedded(plan: Any, settings: Any) -> Any:
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


def _rasa(plan: Any, settings: Any) -> Any:
    from voicebot.dialogue.nlu.rasa_client import RasaIntentClassifier

    d = settings.dialogue
    return RasaIntentClassifier(d.rasa_url, plan_threshold(plan, settings), d.rasa_timeout_s)


NLU_ENGINES.register(EngineSpec(
    "embedded", "the embedded classifier (sentence encoder + character n-grams; dialogue.nlu_encoder)",
    NluCapabilities(locales=("en-US", "zh-CN"), calibrated_threshold=True, faq=True), _embedded))
NLU_ENGINES.register(EngineSpec(
    "rasa", "a Rasa server's /model/parse (dialogue.rasa_url; docs/rasa.md)",
    NluCapabilities(external=True), _rasa))
