"""Reliability tests reuse the campaign tests' customer data and fixtures (fake Shanghai clock,
fast-retry config), loaded from their file so there is one definition."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from voicebot.logs import configure_logging

CAMPAIGN_TESTS = Path(__file__).parents[1] / "campaign"
sys.path.insert(0, str(CAMPAIGN_TESTS))
_spec = importlib.util.spec_from_file_location("campaign_fixtures", CAMPAIGN_TESTS / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
clock, cfg = _fixtures.clock, _fixtures.cfg


@pytest.fixture
def log_events(capsys):
    """``log_events(*names)``: the JSON log lines with those event names, logged so far in the test."""
    configure_logging("INFO", json_output=True)
    seen: list[dict] = []

    def named(*names: str) -> list[dict]:
        seen.extend(json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{"))
        return [x for x in seen if x.get("event") in names]
    return named
