"""Export a dialplan's intent examples (and optionally its replies) as a Rasa 3.x project.

Layout written under ``out_dir``: ``config.yml`` (the light pipeline), ``domain.yml``, ``data/nlu.yml``,
``data/rules.yml``. Examples go through :func:`rasa_text` (the same normalisation the client applies at
run time), so Chinese is pre-segmented into characters for the WhitespaceTokenizer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.rasa_text import rasa_text
from voicebot.errors import VoicebotError

RASA_FORMAT_VERSION = "3.1"
_INTENT_NAME = re.compile(r"^[^\s/{}\[\]()]+$")  # Rasa splits on '/' (retrieval intents) and parses brackets

# WhitespaceTokenizer refuses language "zh"; the text is pre-segmented, so the language code only labels the model.
_RASA_LANGUAGE = {"en-US": "en", "zh-CN": "zh_seg"}


# Events of the call (not words of the callee) that RasaDialogue sends as "/intent" messages, which Rasa takes
# as the intent without running NLU. A project that drives the dialogue answers them with rules.
CONTROL_INTENTS = ("call_start", "no_input", "dtmf", "transfer_ok", "transfer_failed", "supervisor_instruction")

class RasaExportError(VoicebotError):
    """The examples cannot be turned into a Rasa project."""


def light_pipeline_config(locale: str, fallback_threshold: float | None = None) -> dict[str, Any]:
    """Fast to train (~20 s) and to serve (~8 ms a parse): sparse n-gram features + logistic regression."""
    pipeline: list[dict[str, Any]] = [
        {"name": "WhitespaceTokenizer"},
        # Words (and word bigrams); for pre-segmented Chinese these are characters and character bigrams.
        {"name": "CountVectorsFeaturizer", "min_ngram": 1, "max_ngram": 2},
        # Character n-grams inside words: robust to ASR misspellings and inflections.
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        # Character n-grams across word boundaries: short phrases, and words ASR split or merged.
        {"name": "CountVectorsFeaturizer", "analyzer": "char", "min_ngram": 2, "max_ngram": 5},
        {"name": "LogisticRegressionClassifier", "random_state": 0},
    ]
    if fallback_threshold is not None:
        # Only used when Rasa drives the dialogue: low-confidence turns become `nlu_fallback`.
        pipeline.append({"name": "FallbackClassifier", "threshold": fallback_threshold})
    return {
        "recipe": "default.v1",
        "assistant_id": f"voicebot-{locale}",
        "language": _RASA_LANGUAGE.get(locale, locale.split("-")[0].lower()),
        "pipeline": pipeline,
        "policies": [{"name": "MemoizationPolicy"}, {"name": "RulePolicy"}],
    }


def export_rasa_project(
    locale: str,
    examples: Mapping[str, list[str]],
    out_dir: Path,
    responses: Mapping[str, str | dict[str, Any] | list[str | dict[str, Any]]] | None = None,
    *,
    out_of_scope_examples: list[str] | None = None,
    fallback_threshold: float | None = None,
) -> None:
    """Write a trainable Rasa project. ``responses`` maps an intent to the bot's reply: a text, a dict
    sent as a custom payload (e.g. ``{"action": "transfer"}``), or a list of those said in order; a rule
    answers that intent with it. Keys may also be the CONTROL_INTENTS (``call_start`` = the opening line).
    A ``"nlu_fallback"`` key is the reply for low-confidence turns (needs ``fallback_threshold``).
    ``out_of_scope_examples`` (the plan's negatives) train an ``out_of_scope`` intent, which the client
    reports as OUT_OF_SCOPE whatever its confidence."""
    out_dir = Path(out_dir)
    examples = dict(examples)
    if out_of_scope_examples:
        examples[OUT_OF_SCOPE] = [*examples.get(OUT_OF_SCOPE, []), *out_of_scope_examples]
    nlu = _nlu_data(examples)
    responses = dict(responses or {})
    unknown = sorted(set(responses) - set(examples) - {"nlu_fallback", *CONTROL_INTENTS})
    if unknown:
        raise RasaExportError(f"responses for intents without examples: {', '.join(unknown)}")
    intents = [*examples, *(c for c in CONTROL_INTENTS if responses and c not in examples)]
    domain = _domain(intents, responses)  # validates the replies: nothing is written if one is unusable
    rules = [
        {"rule": f"answer {intent}",
         "steps": [{"intent": intent}, *({"action": name} for name in _utterances(intent, reply))]}
        for intent, reply in responses.items()
    ]
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    _write_yaml(out_dir / "config.yml", light_pipeline_config(locale, fallback_threshold))
    _write_yaml(out_dir / "data" / "nlu.yml", {"version": RASA_FORMAT_VERSION, "nlu": nlu})
    _write_yaml(out_dir / "domain.yml", domain)
    _write_yaml(out_dir / "data" / "rules.yml", {"version": RASA_FORMAT_VERSION, "rules": rules})


def _nlu_data(examples: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    if len(examples) < 2:
        raise RasaExportError(f"Rasa needs at least 2 intents with examples, got {len(examples)}")
    nlu = []
    for intent, texts in examples.items():
        if not _INTENT_NAME.match(intent):
            raise RasaExportError(f"intent name {intent!r} is not usable in Rasa (no spaces, '/', or brackets)")
        # Normalised duplicates would make Rasa warn and weigh them twice; keep the first of each.
        lines = list(dict.fromkeys(t for t in (rasa_text(x) for x in texts) if t))
        if not lines:
            raise RasaExportError(f"intent {intent!r} has no non-empty examples")
        nlu.append({"intent": intent, "examples": _LiteralBlock("".join(f"- {line}\n" for line in lines))})
    return nlu


def _domain(intents: list[str], responses: Mapping[str, str | dict[str, Any]]) -> dict[str, Any]:
    domain: dict[str, Any] = {
        "version": RASA_FORMAT_VERSION,
        "intents": intents,
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": False},
    }
    if responses:
        domain["responses"] = {
            name: [{"text": message} if isinstance(message, str) else {"custom": dict(message)}]
            for intent, reply in responses.items()
            for name, message in _utterances(intent, reply).items()
        }
    return domain


def _utterances(intent: str, reply: Any) -> dict[str, Any]:
    """utter_<intent>, utter_<intent>_2, ... for a reply that is one message or a list said in order."""
    messages = list(reply) if isinstance(reply, (list, tuple)) else [reply]
    for message in messages:
        if not isinstance(message, (str, dict)) or not message:
            raise RasaExportError(f"reply to {intent!r} must be a text or a custom-payload mapping, got {message!r}")
    return {f"utter_{intent}" + (f"_{i + 1}" if i else ""): m for i, m in enumerate(messages)}


class _LiteralBlock(str):
    """Dumped as a YAML `|` block, the form Rasa's training-data reader expects for examples."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _LiteralBlock, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
)


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
