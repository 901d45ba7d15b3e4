"""Reliability tests reuse the campaign tests' customer data and fixtures (fake Shanghai clock,
fast-retry config), loaded from their file so there is one definition."""

import importlib.util
import sys
from pathlib import Path

CAMPAIGN_TESTS = Path(__file__).parents[1] / "campaign"
sys.path.insert(0, str(CAMPAIGN_TESTS))
_spec = importlib.util.spec_from_file_location("campaign_fixtures", CAMPAIGN_TESTS / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)
clock, cfg = _fixtures.clock, _fixtures.cfg
