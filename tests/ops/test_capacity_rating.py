"""The rated channel count: measured by `voicebot capacity rate`, stored with what it was measured
with, enforced by `serve` and `campaign start` (unless --force), and used by the report's projection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voicebot.campaign.capacity import from_rating
from voicebot.capacity_rating import (
    CapacityRating,
    LoadPoint,
    asr_setup,
    channels_refusal,
    check_channels,
    rated_channels,
    rating_path,
    read_rating,
    save_rating,
)
from voicebot.cli import main
from voicebot.config import load_settings


def _point(calls: int, p95: float | None, said: int = 50, answered: int | None = None) -> LoadPoint:
    return LoadPoint(calls, 60.0, calls * 3, said, said if answered is None else answered, 500.0, p95)


def _settings(tmp_path: Path):
    settings = load_settings()
    settings.paths.cache_dir = tmp_path
    return settings


def _rating(settings, channels: int = 8, cpus: int | None = None) -> CapacityRating:
    points = [_point(1, 480), _point(4, 700), _point(8, 1100), _point(12, 2600)]
    return CapacityRating(channels, 1200, "2026-12-07 05:00:00", cpus or os.cpu_count(), asr_setup(settings), points)


def test_the_rating_is_the_largest_load_that_kept_every_smaller_one_within_budget():
    assert rated_channels([_point(1, 480), _point(4, 700), _point(8, 1100), _point(12, 2600)]) == 8
    # A load that failed is not rescued by a lucky larger one, and an unanswered turn fails a load.
    assert rated_channels([_point(1, 480), _point(4, 1500), _point(8, 1100)]) == 1
    assert rated_channels([_point(1, 480), _point(2, 600, said=50, answered=49)]) == 1
    assert rated_channels([_point(1, 1300)]) == 0 and rated_channels([]) == 0


def test_stored_with_what_it_was_measured_with_and_ignored_elsewhere(tmp_path):
    settings = _settings(tmp_path)
    assert read_rating(settings)[0] is None and "voicebot capacity rate" in read_rating(settings)[1]
    save_rating(settings, _rating(settings))
    rating, why = read_rating(settings)
    assert why == "" and rating.channels == 8 and rating.point(8).p95_ms == 1100
    assert rating.calls_per_channel_hour == pytest.approx(24 / 8 / (60 / 3600))
    settings.asr.whisper_model = "tiny.en"  # another recogniser: the rating says nothing about it
    rating, why = read_rating(settings)
    assert rating is None and "tiny.en" in why
    settings.asr.whisper_model = "base"
    save_rating(settings, _rating(settings, cpus=(os.cpu_count() or 1) + 6))
    assert read_rating(settings)[0] is None and "cores" in read_rating(settings)[1]
    rating_path(settings).write_text("{not json", encoding="utf-8")
    rating, why = read_rating(settings)
    assert rating is None and "unreadable" in why


def test_more_channels_than_rated_are_refused_in_both_languages_unless_forced(tmp_path):
    settings = _settings(tmp_path)
    assert check_channels(settings, 64, force=False) is None  # no rating yet: warn and run (fresh install)
    save_rating(settings, _rating(settings))
    assert channels_refusal(settings, 8) is None
    en, zh = channels_refusal(settings, 12), channels_refusal(settings, 12, zh=True)
    assert "rated for 8" in en and "12 were asked for" in en and "--force" in en
    assert "额定 8 路" in zh and "要求 12 路" in zh and "--force" in zh
    assert check_channels(settings, 12, force=True) is None


def test_serve_and_campaign_start_refuse_before_loading_anything(tmp_path, monkeypatch, capsys, redis_server):
    monkeypatch.setenv("VOICEBOT_PATHS__CACHE_DIR", str(tmp_path))
    # The session's Redis: a campaign command looks up the campaign's language there (none is started).
    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    settings = load_settings()
    save_rating(settings, _rating(settings, channels=4))
    assert main(["serve", "--workers", "2"]) == 2  # 2 processes x 4 calls = 8 > 4
    assert "rated for 4 simultaneous calls" in capsys.readouterr().err
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # the campaign commands speak the shell's language
    assert main(["campaign", "start", "nosuchcampaign", "--channels", "6"]) == 2
    assert "额定 4 路" in capsys.readouterr().err  # refused before the campaign is even looked up


def test_the_report_projects_from_this_machines_rating(tmp_path):
    settings = _settings(tmp_path)
    measured = from_rating(_rating(settings))
    assert measured.source == "voicebot capacity rate" and measured.channels_per_machine == 8
    assert measured.conversations == 24 and measured.p95_ms == 1100
    assert from_rating(_rating(settings, channels=0)) is None and from_rating(None) is None


@pytest.mark.slow
def test_rate_measures_real_calls_and_show_prints_the_stored_rating(tmp_path):
    env = {**os.environ, "VOICEBOT_PATHS__CACHE_DIR": str(tmp_path)}
    # An old rating of 0 channels must not stop the probe's own bot (it measures beyond the rating).
    settings = _settings(tmp_path)
    save_rating(settings, _rating(settings, channels=0))
    rate = subprocess.run([sys.executable, "-m", "voicebot", "capacity", "rate", "--calls", "1", "--seconds", "20"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert rate.returncode in (0, 1), rate.stderr[-3000:]  # 1: even one call was over budget on this machine
    stored = json.loads((tmp_path / "capacity-rating.json").read_text(encoding="utf-8"))
    point = stored["points"][0]
    assert point["calls"] == 1 and point["turns_said"] >= 5 and point["turns_answered"] == point["turns_said"]
    assert 100 < point["p50_ms"] < 5000 and stored["channels"] == (1 if point["p95_ms"] <= 1200 else 0)
    show = subprocess.run([sys.executable, "-m", "voicebot", "capacity", "show"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert show.returncode == (0 if stored["channels"] else 0) and f"rated: {stored['channels']}" in show.stdout
