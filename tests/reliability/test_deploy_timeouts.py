"""Docker and systemd must give the SIGTERM drain time to end before they kill the process."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from voicebot.config import OpsConfig

ROOT = Path(__file__).resolve().parents[2]


def _seconds(value: str) -> float:
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)([hms]?)", str(value)):
        total += float(amount) * {"h": 3600, "m": 60, "s": 1, "": 1}[unit]
    return total


def test_compose_grace_period_outlasts_the_drain():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grace = _seconds(compose["services"]["voicebot"]["stop_grace_period"])
    assert grace > OpsConfig().drain_timeout_s + 15, grace  # the drain's own hang-ups need a moment too


def test_systemd_stop_timeout_outlasts_the_drain():
    unit = (ROOT / "deploy" / "voicebot.service").read_text()
    stop = float(re.search(r"^TimeoutStopSec=(\d+)", unit, re.MULTILINE).group(1))
    assert stop > OpsConfig().drain_timeout_s + 15
