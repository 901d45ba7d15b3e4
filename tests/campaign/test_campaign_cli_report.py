"""The `voicebot campaign` commands end to end (simulated dialer), and the HTML/PNG/CSV report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import structlog
from campaign_data import write_customers

from voicebot.campaign.kpi import compute, load_results
from voicebot.cli import main
from voicebot.config import CampaignConfig


@pytest.fixture(autouse=True)
def _restore_logging():
    # main() points structlog at pytest's captured stderr, which is closed after the test.
    yield
    structlog.reset_defaults()


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_campaign_commands_and_report(redis_server, redis_client, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    monkeypatch.setenv("VOICEBOT_LOGGING__LEVEL", "WARNING")
    # The sample dialplans: their script variants are each segment's A/B arms.
    monkeypatch.setenv("VOICEBOT_DIALOGUE__PLAN", str(Path(__file__).resolve().parents[2] / "dialplans"))
    personas = ["interested", "price_sensitive", "refuse", "busy", "callback", "transfer", "stop_calling", "ab"] * 8
    path = write_customers(tmp_path / "crm.csv", personas)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("12345,bad,refuse,1,1,2026-01-01,0,0,0,,sms,\n")

    assert _run(capsys, "campaign", "create", "cli")[0] == 0
    code, out = _run(capsys, "campaign", "import", "cli", str(path), "--errors-csv", str(tmp_path / "errors.csv"))
    assert code == 0 and "未导入：第 66 行「phone」列：" in out  # a zh-CN campaign: Chinese messages
    assert (tmp_path / "errors.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Chinese Excel reads UTF-8
    issues = list(csv.DictReader((tmp_path / "errors.csv").open(encoding="utf-8-sig")))
    assert [(r["line"], r["column"], r["value"], r["severity"]) for r in issues] == [("66", "phone", "12345", "refused")]
    assert issues[0]["name"] == "bad" and issues[0]["reason"]
    code, out = _run(capsys, "campaign", "plan", "cli", "--kmeans", "3")
    assert code == 0 and json.loads(out)["planned"] == 64
    assert _run(capsys, "campaign", "pause", "cli")[0] == 0
    code, out = _run(capsys, "campaign", "status", "cli")
    assert json.loads(out)["status"] == "paused"
    assert _run(capsys, "campaign", "resume", "cli")[0] == 0
    code, out = _run(capsys, "campaign", "start", "cli", "--simulate", "--simulated-start", "2026-03-03T08:00:00+08:00",
                     "--until-done")
    started = json.loads(out)
    assert code == 0 and started["status"] == "done" and started["dialed"] >= 64
    code, out = _run(capsys, "campaign", "status", "cli")
    status = json.loads(out)
    assert status["by_status"]["do_not_call"] == 8 and status["queue"]["scheduled"] == 0
    assert 0 < status["kpi"]["intent_share"] < 1
    assert {len(v) for v in status["script_ab"].values()} == {3}  # every planned segment tests 3 scripts

    code, out = _run(capsys, "campaign", "report", "cli", "--out", str(tmp_path / "report"))
    files = json.loads(out)
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert code == 0 and "单客获取成本" in html and "按分群 / 话术版本" in html  # a zh-CN campaign: a Chinese report
    for chart in files["charts"]:
        with open(chart, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader((tmp_path / "report" / "calls.csv").open(encoding="utf-8-sig")))
    results = load_results(redis_client, "cli")
    assert len(rows) == len(results) == started["dialed"]
    kpis = compute(results, CampaignConfig())
    assert kpis.transfers == 8 and kpis.transfer_reasons == {"complex_question": 8} and kpis.opt_outs == 8
    assert kpis.cost_vs_manual is not None and kpis.cost_vs_manual < 1  # cheaper than people dialling
    assert kpis.human_rate < kpis.connect_rate or kpis.human_rate == kpis.connect_rate


def test_start_of_an_empty_campaign_says_what_to_do(redis_server, redis_client, monkeypatch, capsys):
    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    assert main(["campaign", "create", "nodialer", "--locale", "en-US"]) == 0
    capsys.readouterr()
    assert main(["campaign", "start", "nodialer"]) == 1
    err = capsys.readouterr().err
    # Fails before any model is loaded (no engine log lines), naming the fix.
    assert "has no customers; import some with `voicebot campaign import nodialer FILE`" in err
    assert "engines_loaded" not in err
    assert redis_client.hget("voicebot:campaign:nodialer", "status") == "created"  # nothing changed
    assert main(["campaign", "status", "missing-campaign"]) == 1
    assert "does not exist" in capsys.readouterr().err
