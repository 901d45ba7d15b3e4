"""docs/settings.md is generated from the settings models and their comments: it must match the code,
and every setting must say what it does."""

from __future__ import annotations

import re
from pathlib import Path

from voicebot.config import Settings
from voicebot.config.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_the_settings_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/settings.md is out of date: .venv/bin/python -m voicebot.config.reference > docs/settings.md")


def test_every_setting_is_described_and_named_with_its_environment_variable():
    rows = [line for line in render().splitlines() if line.startswith("| `")]
    assert len(rows) >= sum(len(type(getattr(Settings(), s)).model_fields) for s in Settings.model_fields)
    undescribed = [row.split("|")[1].strip() for row in rows
                   if not re.search(r"`VOICEBOT_\w+` \|(.*)\|$", row).group(1).strip()]
    assert undescribed == []
    assert any("`VOICEBOT_SIP__TURN_SERVER`" in row for row in rows)
    assert any("`VOICEBOT_DIALOGUE__SURVEY__ENABLED`" in row for row in rows)  # nested models too
    assert not any("s3cret" in row or "SecretStr('**********')" in row for row in rows)
