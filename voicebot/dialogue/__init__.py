"""Dialogue: the interface (base.py), the built-in scripted plan, and YAML dialplans with NLU."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voicebot.config import Settings
    from voicebot.dialogue.base import DialogueFactory
    from voicebot.dialogue.plan import Dialplan


def load_dialogue_factory(settings: Settings) -> DialogueFactory:
    """Dialplan-driven dialogues (settings.dialogue.plan = a file, a folder, or a plan name)."""
    from voicebot.dialogue.factory import PlanDialogueFactory

    return PlanDialogueFactory(settings)


def load_dialplan(path: str) -> Dialplan:
    """Reads and validates one dialplan file (raises DialplanError with file:line: reason)."""
    from voicebot.dialogue.plan import load_dialplan as _load

    return _load(path)
