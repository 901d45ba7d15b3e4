"""One gate (voicebot.campaign.compliance) for every outbound path: a number on the do-not-call list,
a call out of hours and a call over the frequency cap are refused, with the reason logged, for
campaign first attempts, retries and callbacks (any dialer), place_call (voice dialer, `voicebot
call`) and supervisor call-outs; a supervisor's own phone is not a customer call. Real redis-server."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from voicebot.campaign import keys
from voicebot.campaign.clock import FakeClock
from voicebot.campaign.compliance import CallRefused, ComplianceGate, check_customer_call
from voicebot.campaign.dialer import CallJob
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.queue import JobQueue
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig, ConsoleUser, Settings
from voicebot.logs import configure_logging

SHANGHAI = "Asia/Shanghai"
PHONE = "+8613800138000"


@pytest.fixture
def logs(capsys):
    configure_logging("INFO", json_output=True)
    seen: list[dict] = []

    def refusals() -> list[dict]:
        seen.extend(json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{"))
        return [x for x in seen if x.get("event") == "call_refused"]
    return refusals


def at(hour: int) -> float:
    from zoneinfo import ZoneInfo
    return datetime(2026, 3, 3, hour, 0, tzinfo=ZoneInfo(SHANGHAI)).timestamp()


def run_one(redis_client, kind: str, attempt: int, now: float, dialer=None) -> tuple[CampaignWorker, str]:
    cfg = CampaignConfig(max_attempts=3, visibility_timeout_s=1.5)
    clock = FakeClock(datetime.fromtimestamp(now).astimezone())
    dialer = dialer(clock) if dialer else SimulatedDialer(clock)
    worker = CampaignWorker(redis_client, "gate", dialer, cfg, clock, worker_id="w1")
    job = CallJob("gate", f"c1:{attempt}", "c1", PHONE, attempt, kind=kind, timezone=SHANGHAI,
                  customer={"persona": "interested"})
    JobQueue(redis_client, worker.ck).schedule(job, now - 1)
    return worker, worker.step()


def refused_then_allowed(redis_client, logs, kind: str, attempt: int, dialer=None) -> CampaignWorker:
    DoNotCallList(redis_client).add(PHONE, "requested", by="test")
    worker, outcome = run_one(redis_client, kind, attempt, at(11), dialer)
    assert outcome == "dropped" and worker.stats.dialed == 0
    redis_client.flushall()
    worker, outcome = run_one(redis_client, kind, attempt, at(7), dialer)
    assert outcome == "deferred" and worker.stats.dialed == 0
    redis_client.flushall()
    redis_client.zadd(keys.number_calls(PHONE), {"a": at(11) - 3600, "b": at(11) - 1800})  # 2 today: the daily cap
    worker, outcome = run_one(redis_client, kind, attempt, at(11), dialer)
    assert outcome == "deferred" and worker.stats.dialed == 0
    assert [(r["reason"], r["path"]) for r in logs()] == [
        ("do_not_call", f"campaign_{kind}"), ("outside_hours", f"campaign_{kind}"), ("frequency_cap", f"campaign_{kind}")]
    assert all(PHONE not in json.dumps(r) for r in logs())  # the number is masked in the log
    redis_client.flushall()
    worker, outcome = run_one(redis_client, kind, attempt, at(11), dialer)
    assert outcome == "dialed" and worker.stats.dialed == 1
    return worker


@pytest.mark.parametrize("kind,attempt", [("first", 1), ("retry", 2), ("callback", 3)])
def test_campaign_paths_refuse_dnc_hours_and_cap(redis_client, logs, kind, attempt):
    refused_then_allowed(redis_client, logs, kind, attempt)


def test_text_dialer_path(redis_client, logs):
    """The in-process dialogue dialer (real zh-CN dialplan) is reached only through the same gate."""
    from voicebot.campaign.text_dialer import DialogueDialer
    from voicebot.dialogue.factory import PlanDialogueFactory

    settings = Settings()
    settings.dialogue.plan = str(Path(__file__).parents[2] / "dialplans/outbound_marketing_zh.yaml")
    dialogues, heard = PlanDialogueFactory(settings), []

    def callee(job, lines):
        heard.extend(lines)
        return None  # hangs up after the greeting

    refused_then_allowed(redis_client, logs, "first", 1,
                          lambda clock: DialogueDialer(dialogues, callee, clock, opt_outs=lambda: redis_client))
    assert len(heard) >= 1  # only the allowed call was placed, and it was a real dialogue


def test_place_call_path_refuses_and_trusts_only_a_fresh_decision_for_the_same_number(redis_client, logs):
    cfg = CampaignConfig()
    DoNotCallList(redis_client).add(PHONE, "complaint", by="test")
    with pytest.raises(CallRefused, match="do_not_call"):
        check_customer_call(lambda: redis_client, cfg, f"sip:{PHONE}@pbx", path="place_call", now=at(11))
    # A worker's allowed Decision for another number does not let this one through.
    other = ComplianceGate(redis_client, cfg).may_call("+8613900139000", at(11), path="campaign_first")
    assert other.allowed
    with pytest.raises(CallRefused):
        check_customer_call(lambda: redis_client, cfg, f"sip:{PHONE}@pbx", path="place_call", cleared=other, now=at(11))
    with pytest.raises(CallRefused, match="outside_hours"):
        check_customer_call(lambda: redis_client, cfg, "sip:+8613900139000@pbx", path="place_call", now=at(22))
    assert check_customer_call(lambda: redis_client, cfg, "sip:+8613900139000@pbx", path="place_call",
                               cleared=other, now=at(22)) is other  # the worker asked with the campaign's hours
    staff_cfg = CampaignConfig(staff_accounts=["sip:callee@127.0.0.1"])
    assert check_customer_call(lambda: redis_client, staff_cfg, "sip:callee@127.0.0.1:5080", path="place_call") is None
    assert [(r["reason"], r["path"]) for r in logs()] == [("do_not_call", "place_call"), ("do_not_call", "place_call"),
                                                          ("outside_hours", "place_call")]


def test_supervisor_call_outs_to_customers_go_through_the_gate(redis_client, logs):
    from voicebot.supervisor.phone import SupervisorLine

    settings = Settings(supervisor={"users": {"boss": ConsoleUser(password_hash="x", phone="sip:+8613700137000@pbx")}},
                        phone_supervision={"pin": "", "supervisor_phones": ["+8613600136000"]},
                        campaign={"staff_accounts": ["sip:desk@pbx"]})
    live = SimpleNamespace(call=None)
    server = SimpleNamespace(settings=settings, _compliance_redis=lambda: redis_client,
                             find_session=lambda ref: live if ref == "live1" else None)
    line = SupervisorLine(server)  # type: ignore[arg-type]
    DoNotCallList(redis_client).add(PHONE, "requested", by="test")
    with pytest.raises(CallRefused, match="do_not_call"):
        line.call_out(f"sip:{PHONE}@pbx", "live1", "listen")
    # Supervisors' own phones, by console user, by the list, or a listed staff account: not customer
    # calls, so not refused on the gate (even when their number happens to be on the do-not-call list).
    DoNotCallList(redis_client).add("+8613700137000", "requested", by="test")
    for own in ("sip:+8613700137000@pbx", "sip:13600136000@pbx", "sip:desk@pbx"):
        line._check_not_a_customer(own)
    with pytest.raises(CallRefused, match="unlisted_account"):  # a console user's name is no staff account
        line._check_not_a_customer("sip:boss@pbx")
    assert [(r["reason"], r["path"]) for r in logs()] == [("do_not_call", "supervisor_call_out"),
                                                          ("unlisted_account", "supervisor_call_out")]


@pytest.mark.parametrize("target", [f"sip:{PHONE}@127.0.0.1:9", f"SIP:{PHONE[3:]}@127.0.0.1:9"])
def test_voicebot_call_to_a_dnc_number_is_refused_before_any_invite(redis_server, tmp_path, target):
    """`voicebot call` (and the voice dialer: both use VoicebotServer.place_call) refuses a customer's
    number on the do-not-call list before sending an INVITE, exits 3 and logs why, however the URI
    is written (the issue's repro: 'SIP:13800138000@…' rang a listed number). A real bot process:
    4-12 s on the shared machine."""
    import os
    import subprocess
    import sys

    client = redis_server.client()
    client.flushall()
    DoNotCallList(client).add(PHONE, "requested", by="test")
    block = int(os.environ.get("VOICEBOT_TEST_PORT_BLOCK", "0"))
    port, rtp = 5200 + 400 * block + 150, 20000 + 8000 * block + 5000  # apart from the voice tests' first 50
    (tmp_path / "voicebot.toml").write_text("# defaults\n", encoding="utf-8")
    env = {**os.environ, "VOICEBOT_CONFIG": str(tmp_path / "voicebot.toml"),
           "VOICEBOT_REDIS__URL": f"unix://{redis_server.socket_path}", "VOICEBOT_RECORDING__ENABLED": "false"}
    proc = subprocess.run([sys.executable, "-m", "voicebot", "call", target, "--port", str(port),
                           "--rtp-port", str(rtp), "--timeout", "5"], capture_output=True, text=True, env=env,
                          timeout=240)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "refused: do_not_call" in proc.stderr
    events = [json.loads(x) for x in proc.stderr.splitlines() if x.startswith("{")]
    refused = [e for e in events if e.get("event") == "call_refused"]
    assert [(e["reason"], e["path"]) for e in refused] == [("do_not_call", "place_call")]
    assert PHONE not in proc.stderr and PHONE[3:] not in proc.stderr  # masked in the log
