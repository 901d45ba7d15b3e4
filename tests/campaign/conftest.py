"""Campaign fixtures: a fake clock inside Shanghai's calling day and a fast-retry config."""

from __future__ import annotations

from datetime import datetime

import pytest
from campaign_data import SHANGHAI

from voicebot.campaign.clock import FakeClock
from voicebot.config import CampaignConfig


@pytest.fixture
def clock() -> FakeClock:
    # Tuesday 3 March 2026, 08:00 in Shanghai: before calling hours open.
    return FakeClock(datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI))


@pytest.fixture
def cfg() -> CampaignConfig:
    return CampaignConfig(retry_backoff_s=[3600.0, 4 * 3600.0, 24 * 3600.0], max_attempts=3, human_agents=3,
                          bot_channels=4, visibility_timeout_s=1.5)
