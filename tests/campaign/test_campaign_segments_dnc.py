"""User-defined segments from a rule file, the do-not-call commands, statuses that follow the
outcome, and calling hours read when a call is placed (real redis-server, simulated dialer)."""

from __future__ import annotations

import csv
import threading
from datetime import date, datetime

import pytest
import structlog
from campaign_data import SHANGHAI, write_customers
from messy_export import write_gbk_csv
from test_campaign_planning import CASES, TODAY

from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.hours import set_hours
from voicebot.campaign.importer import import_customers
from voicebot.campaign.kpi import load_results
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.profiles import columns_from_records
from voicebot.campaign.rules import RuleError
from voicebot.campaign.scheduler import CallingRules, next_step
from voicebot.campaign.segment_rules import default_rules, load_rules
from voicebot.campaign.segments import SEGMENTS, assign_segments
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.cli import main
from voicebot.config import CampaignConfig

RULES = """\
default: others
default_label: 其他客户
segments:
  - name: big_spenders
    label: 大客户
    priority: 1
    when: 累计消费 >= 1万 and not (城市 in ["深圳"])
    strategy: high_value_churn_risk
  - name: young_women
    label: 年轻女性
    when: 性别 == "female" and 年龄 < 35
  - name: from_store
    label: 门店客户
    when: 客户来源 == "门店" or notes contains "老客户"
  - name: lapsed
    when: last_purchase_at < "2025-01-01" or last_purchase_at is empty
"""


@pytest.fixture(autouse=True)
def _hermetic(tmp_path, monkeypatch, redis_server):
    config = tmp_path / "voicebot.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("VOICEBOT_CONFIG", str(config))
    monkeypatch.setenv("VOICEBOT_LOGGING__LEVEL", "WARNING")
    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    yield
    structlog.reset_defaults()


def test_default_rule_file_is_the_seeds_six_segments():
    rule_set = default_rules()
    assert rule_set.names == SEGMENTS
    records = list(CASES.values())
    assert rule_set.assign(records, TODAY) == [SEGMENTS[i] for i in assign_segments(columns_from_records(records, TODAY))]
    assert rule_set.label("high_value_churn_risk") == "高价值流失风险"


@pytest.mark.parametrize("rule,message", [
    ("年龄 < < 30", "x.yaml:5: segment 'a': expected a value at column 6"),
    ("frobnicate() > 1", "x.yaml:5: segment 'a': unknown function 'frobnicate'"),
    ("城市 in 上海", "x.yaml:5: segment 'a': expected a list like [\"上海\", \"杭州\"] at column 7"),
    ("__import__('os')", "unknown function '__import__'"),
])
def test_bad_rules_name_file_and_line(rule, message):
    text = f"default: b\nsegments:\n  - name: a\n    label: A\n    when: {rule}\n"
    with pytest.raises(RuleError) as info:
        load_rules(text, "x.yaml")
    assert message in str(info.value)


def test_segments_from_a_rule_file_over_imported_columns(redis_client, tmp_path, capsys):
    write_gbk_csv(tmp_path / "crm.csv")
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(RULES.replace("客户来源", "客户来路"), encoding="utf-8")
    assert main(["campaign", "create", "shop", "--locale", "en-US"]) == 0  # English output (zh: test_cli_language)
    assert main(["campaign", "import", "shop", str(tmp_path / "crm.csv")]) == 0
    capsys.readouterr()
    # A rule naming a column the campaign does not have fails with file:line, nothing stored.
    assert main(["campaign", "segments", "shop", "--rules", str(tmp_path / "bad.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'bad.yaml'}:14: segment 'from_store': unknown field '客户来路'" in err

    assert main(["campaign", "segments", "shop", "--rules", str(tmp_path / "rules.yaml"), "--examples", "1"]) == 0
    out = capsys.readouterr().out
    assert "8 customers, rules from" in out and "大客户 (big_spenders): 1 (" in out
    assert "年轻女性 (young_women): 1 (" in out and "门店客户 (from_store): 3 (" in out
    assert "lapsed (lapsed): 2 (" in out and "其他客户 (others): 1 (" in out
    assert "+86*********78" in out and "13812345678" not in out  # examples are masked

    camp = Campaign(redis_client, "shop")
    assigned = {redis_client.hget(keys.customer(p.customer_id), "name"): p.segment
                for p in camp.plan(FakeClockAt(datetime(2026, 3, 3, 9, tzinfo=SHANGHAI)), CampaignConfig())}
    assert assigned["李娜"] == "big_spenders" and assigned["郑红"] == "others"  # 1.2万 >= 1万; 5千 is not
    assert assigned["孙丽"] == "young_women"  # female, 33: before from_store (lower priority number first)
    assert assigned["赵强"] == assigned["张伟"] == assigned["冯磊"] == "from_store"
    assert assigned["王芳"] == "lapsed"  # bought 2024-12-01
    vip = redis_client.hgetall(camp.ck.state(keys.customer_id("+8613900001111")))
    assert vip["offer"] == "spend_and_save_coupon"  # the strategy the rule names
    other = redis_client.hgetall(camp.ck.state(keys.customer_id("+8615800007777")))
    assert other["segment"] == "lapsed" and other["offer"] == "none"  # a user segment plans as general


class FakeClockAt:
    def __init__(self, at: datetime) -> None:
        self.t = at.timestamp()

    def now(self) -> float:
        return self.t


def test_dnc_commands_with_audit_trail(redis_client, tmp_path, capsys):
    assert main(["dnc", "add", "138 1234 5678", "+86 139 0000 1111", "--reason", "客户投诉电话", "--by", "王店长"]) == 0
    assert main(["dnc", "add", "12345"]) == 1  # not a number: said so, nothing stored
    (tmp_path / "list.csv").write_text("手机号,备注\n13700002222,退订\n13700002222,重复\n坏号码,x\n", encoding="utf-8")
    assert main(["dnc", "import", str(tmp_path / "list.csv"), "--reason", "退订名单"]) == 0
    assert '"added": 1' in capsys.readouterr().out
    assert main(["dnc", "remove", "13812345678", "--reason", "客户重新授权", "--by", "李主管"]) == 0
    capsys.readouterr()
    assert main(["dnc", "list"]) == 0
    listed = capsys.readouterr().out
    assert "+8613900001111" in listed and "+8613700002222\t" in listed and "+8613812345678" not in listed
    assert "客户投诉电话\tuser:王店长" in listed and "退订名单" in listed

    assert main(["dnc", "export", str(tmp_path / "dnc.csv"), "--encoding", "gbk"]) == 0
    capsys.readouterr()
    rows = list(csv.reader((tmp_path / "dnc.csv").open(encoding="gbk")))
    assert rows[0][0] == "号码 number" and {r[0] for r in rows[1:]} == {"+8613900001111", "+8613700002222"}

    assert main(["dnc", "audit", "13812345678"]) == 0
    audit = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1:5] for line in audit] == [["add", "+8613812345678", "客户投诉电话", "user:王店长"],
                                                         ["remove", "+8613812345678", "客户重新授权", "user:李主管"]]


def test_opt_out_during_a_call_is_audited_with_the_call_and_never_called_again(redis_client, tmp_path):
    from campaign_data import phone_for

    clock = FakeClockMovable(datetime(2026, 3, 3, 8, tzinfo=SHANGHAI))
    cfg = CampaignConfig(max_attempts=2, retry_backoff_s=[3600.0])
    camp = Campaign(redis_client, "a")
    camp.create()
    import_customers(redis_client, write_customers(tmp_path / "c.csv", ["stop_calling", "refuse"]),
                     ColumnMapping.identity(), campaign="a")
    DoNotCallList(redis_client).add("+86" + phone_for(1), "已在别家办理", by="user:客服小李")
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    CampaignWorker(redis_client, "a", SimulatedDialer(clock), cfg, clock, worker_id="w").run(
        threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)
    results = load_results(redis_client, "a")
    assert [r["status"] for r in results] == ["do_not_call"]  # the listed one was never dialled
    events = DoNotCallList(redis_client).audit("+86" + phone_for(0))
    assert [(e.action, e.reason, e.by) for e in events] == [("add", "stop_calling", f"call:a/{results[0]['job_id']}")]


class FakeClockMovable:
    def __init__(self, at: datetime) -> None:
        self.t = at.timestamp()

    def now(self) -> float:
        return self.t

    def set(self, t: float) -> None:
        self.t = max(self.t, t)


def _job(attempt: int = 1) -> CallJob:
    return CallJob("c", f"x:{attempt}", "x", "+8613812345678", attempt)


@pytest.mark.parametrize("result,status", [
    (CallResult("human", "A", converted=True, callback_at=1e10), "converted"),  # a buyer is never a callback
    (CallResult("human", "A", converted=True, transferred=True), "converted"),
    (CallResult("human", "A", transferred=True), "interested"),
    (CallResult("human", "B"), "interested"),
    (CallResult("human", "C", callback_at=1e10), "callback"),
    (CallResult("human", "D"), "not_interested"),
    (CallResult("human", "D", do_not_call=True), "do_not_call"),
    (CallResult("human", "D", complaint=True, do_not_call=True), "do_not_call"),
    (CallResult("human", "D", tags=["wrong_number"]), "wrong_number"),
    (CallResult("invalid"), "wrong_number"),
    (CallResult("no_answer"), "retry"),
])
def test_status_follows_the_outcome(result, status):
    cfg = CampaignConfig()
    step = next_step(_job(), result, 1.77e9, CallingRules.from_config(cfg), cfg)
    assert step.status == status
    assert (step.kind == "done") == (status not in ("callback", "retry"))


def test_status_after_the_last_attempt():
    cfg = CampaignConfig(max_attempts=2)
    rules = CallingRules.from_config(cfg)
    assert next_step(_job(2), CallResult("busy"), 1.77e9, rules, cfg).status == "unreachable"
    assert next_step(_job(2), CallResult("voicemail"), 1.77e9, rules, cfg).status == "voicemail"


def test_changed_calling_hours_apply_to_calls_already_planned(redis_client, tmp_path):
    clock = FakeClockMovable(datetime(2026, 3, 3, 8, tzinfo=SHANGHAI))
    cfg = CampaignConfig()
    camp = Campaign(redis_client, "h")
    camp.create()
    import_customers(redis_client, write_customers(tmp_path / "c.csv", ["refuse"] * 3 + ["price_sensitive"]),
                     ColumnMapping.identity(), campaign="h")
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)  # due at 09:00 under the config's 09:00-20:00
    # The price-sensitive customer prefers 19:00; the window is kept whole, not cut to 09-20 at planning.
    state = redis_client.hgetall(camp.ck.state(keys.customer_id("+8613910000003")))
    assert (state["window_start_hour"], state["window_end_hour"]) == ("19", "21")
    set_hours(redis_client, camp.ck, "10:30", "12:00")  # the manager moves the hours after planning
    CampaignWorker(redis_client, "h", SimulatedDialer(clock), cfg, clock, worker_id="w").run(
        threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)
    started = [datetime.fromtimestamp(r["started"], SHANGHAI) for r in load_results(redis_client, "h")]
    assert len(started) == 4 and all((10, 30) <= (s.hour, s.minute) < (12, 0) for s in started)
    # Due at 09:00 (old hours): called at 10:30 the same day; the one due at 19:00 the next morning.
    assert sorted(s.date() for s in started) == [date(2026, 3, 3)] * 3 + [date(2026, 3, 4)]


def test_weekend_or_weekday_preference_moves_the_first_call(redis_client, tmp_path):
    clock = FakeClockMovable(datetime(2026, 3, 3, 8, tzinfo=SHANGHAI))  # a Tuesday
    (tmp_path / "c.csv").write_text("手机号,偏好联系时间\n13800000001,周末\n13800000002,工作日晚上\n13800000003,随时\n",
                                    encoding="utf-8")
    camp = Campaign(redis_client, "days")
    camp.create()
    import_customers(redis_client, tmp_path / "c.csv", ColumnMapping.identity(), campaign="days")
    camp.plan(clock, CampaignConfig())
    camp.seed(clock, CampaignConfig())
    due = {redis_client.hget(keys.customer(cid), "phone"): datetime.fromtimestamp(
        float(redis_client.hget(camp.ck.state(cid), "next_at")), SHANGHAI) for cid in camp.members()}
    assert (due["+8613800000001"].date(), due["+8613800000001"].hour) == (date(2026, 3, 7), 9)  # Saturday
    assert (due["+8613800000002"].date(), due["+8613800000002"].hour) == (date(2026, 3, 3), 18)  # this evening
    assert (due["+8613800000003"].date(), due["+8613800000003"].hour) == (date(2026, 3, 3), 9)


def test_dnc_times_are_local_and_a_masked_number_is_called_masked(redis_client, tmp_path, capsys):
    (tmp_path / "masked.csv").write_text("手机号\n138****5678\n13700003333\n", encoding="utf-8")
    assert main(["dnc", "import", str(tmp_path / "masked.csv"), "--reason", "退订"]) == 0
    err = capsys.readouterr().err
    assert "is masked (digits hidden)" in err and "not a valid number" not in err
    assert main(["dnc", "list"]) == 0
    since = capsys.readouterr().out.split("\t")[1]
    assert since.endswith("+08:00"), since  # campaign.default_timezone (Asia/Shanghai), not the server's UTC
