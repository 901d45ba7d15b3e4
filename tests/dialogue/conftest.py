"""Shared by the dialogue tests: the sample plans, loaded as the bot loads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.config import Settings
from voicebot.dialogue.factory import PlanDialogueFactory

ROOT = Path(__file__).resolve().parents[2]
AGENT = "sip:agent@127.0.0.1:5999"


@pytest.fixture(scope="module")
def factory() -> PlanDialogueFactory:
    settings = Settings()
    settings.dialogue.plan = str(ROOT / "dialplans")
    settings.dialogue.agent_uri = AGENT
    return PlanDialogueFactory(settings)
