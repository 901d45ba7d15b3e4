"""`voicebot campaign simulate NAME` (#21): the real dialplan on the text dialer, a simulated clock
that the conversation reads, segment counts, outcomes and a report, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog
from messy_export import write_trial_export

from voicebot.cli import main


@pytest.fixture(autouse=True)
def _restore_logging():
    yield
    structlog.reset_defaults()


def _simulate(redis_server, tmp_path, monkeypatch, capsys, n: int) -> dict:
    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    monkeypatch.setenv("VOICEBOT_LOGGING__LEVEL", "WARNING")
    monkeypatch.setenv("VOICEBOT_DIALOGUE__PLAN", str(Path(__file__).resolve().parents[2] / "dialplans"))
    path = write_trial_export(tmp_path / "trial.csv", n)
    assert main(["campaign", "create", "trial"]) == 0
    assert main(["campaign", "import", "trial", str(path)]) == 0
    capsys.readouterr()
    assert main(["campaign", "simulate", "trial", "--start", "2026-03-03T09:00:00+08:00",
                 "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    return json.loads(out[out.index("{"):])


def test_simulate_runs_a_campaign_to_its_end(redis_server, redis_client, tmp_path, monkeypatch, capsys):
    summary = _simulate(redis_server, tmp_path, monkeypatch, capsys, 24)
    assert summary["customers"] == 23 and sum(summary["segments"].values()) == 23  # one masked number
    assert summary["calls"] >= 23 and summary["callbacks_booked"] >= 1
    assert "human" in summary["outcomes"] and "no_answer" in summary["outcomes"]
    assert summary["simulated_until"] > "2026-03-03T09:00"  # the clock moved with the calls
    assert (tmp_path / "report" / "report.html").exists()


@pytest.mark.slow  # 150 customers through the real NLU: ~30 s
def test_simulate_on_a_150_customer_messy_export(redis_server, redis_client, tmp_path, monkeypatch, capsys):
    summary = _simulate(redis_server, tmp_path, monkeypatch, capsys, 150)
    assert summary["customers"] == 147  # three masked numbers are refused
    print(json.dumps(summary, ensure_ascii=False, indent=2))


def test_simulate_before_a_plan_is_chosen_uses_the_sample_plans(redis_server, redis_client, tmp_path, monkeypatch,
                                                                 capsys):
    """dialogue.plan left at its default ("scripted", which has no text conversation) failed with
    "no dialplan has that name": a manager trying a campaign first gets the shipped sample plans."""
    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    monkeypatch.setenv("VOICEBOT_LOGGING__LEVEL", "WARNING")
    monkeypatch.delenv("VOICEBOT_DIALOGUE__PLAN", raising=False)
    path = write_trial_export(tmp_path / "trial.csv", 12)
    assert main(["campaign", "create", "first_try"]) == 0
    assert main(["campaign", "import", "first_try", str(path)]) == 0
    capsys.readouterr()
    assert main(["campaign", "simulate", "first_try", "--start", "2026-03-03T09:00:00+08:00",
                 "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out[out.index("{"):])
    assert summary["calls"] >= summary["customers"] > 0 and Path(summary["report"]).exists()
