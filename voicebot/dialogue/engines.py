"""The built-in dialogue engines, registered with ``DIALOGUE_ENGINES`` (voicebot/engine_registry.py).

``dialogue.plan`` names a registered engine ("scripted", "rasa") or, for anything else, a dialplan
(file, folder or plan name) that the "dialplan" engine runs. Factories import their modules when
called: choosing an engine trains no classifier and opens no connection.
"""

from __future__ import annotations

from typing import Any

from voicebot.engine_registry import DIALOGUE_ENGINES, DialogueCapabilities, EngineSpec


def _scripted(settings: Any) -> Any:
    from voicebot.dialogue.scripted import ScriptedDialogueFactory

    d = settings.dialogue
    return ScriptedDialogueFactory(d.locale, d.agent_uri, d.transfer_mode)


def _rasa(settings: Any) -> Any:
    from voicebot.dialogue.rasa_dialogue import RasaDialogueFactory

    return RasaDialogueFactory.from_settings(settings)


def _dialplan(settings: Any) -> Any:
    from voicebot.dialogue.factory import PlanDialogueFactory

    return PlanDialogueFactory(settings)


DIALOGUE_ENGINES.register(EngineSpec(
    "scripted", "the built-in minimal conversation (no dialplan)",
    DialogueCapabilities(locales=("en-US", "zh-CN")), _scripted))
DIALOGUE_ENGINES.register(EngineSpec(
    "rasa", "the conversation runs in a Rasa server (dialogue.rasa_url; docs/rasa.md)",
    DialogueCapabilities(external=True), _rasa))
DIALOGUE_ENGINES.register(EngineSpec(
    "dialplan", "YAML dialplans (intents: the NLU engine dialogue.engine names); dialogue.plan = a file, folder or plan name",
    DialogueCapabilities(locales=("en-US", "zh-CN"), needs_plan=True), _dialplan))
