"""Calling notes are constraints (#21 item 3): 别 / 不要 / 不方便 / 除了 exclude their hours, and
a customer who said 中午别打 is never called at noon; positive notes are preferred windows."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest
from campaign_data import SHANGHAI

from voicebot.campaign.campaign import Campaign
from voicebot.campaign.freeform import ContactTime, parse_contact_time
from voicebot.campaign.importer import import_customers
from voicebot.campaign.mapping import load_mapping
from voicebot.campaign.scheduler import CallingRules


@pytest.mark.parametrize("note,read", [
    ("中午别打", ContactTime(None, None, "any", (12, 14))),
    ("除了中午都行", ContactTime(None, None, "any", (12, 14))),
    ("不要中午打电话", ContactTime(None, None, "any", (12, 14))),
    ("晚上不方便，下午可以", ContactTime(14, 18, "any", (18, 21))),
    ("周末不要打", ContactTime(None, None, "weekday")),
    ("中午别打，晚上7点后", ContactTime(19, 21, "any", (12, 14))),
    ("don't call at lunch", ContactTime(None, None, "any", (12, 14))),
    ("下午", ContactTime(14, 18)),
    ("工作日晚上", ContactTime(18, 21, "weekday")),
])
def test_notes_read_as_constraints(note, read):
    assert parse_contact_time(note) == read


def test_avoided_hours_are_never_allowed_and_never_preferred():
    rules = CallingRules()
    noon = datetime(2026, 3, 3, 12, 0, tzinfo=SHANGHAI).timestamp()
    assert rules.is_allowed(noon, "Asia/Shanghai") and not rules.is_allowed(noon, "Asia/Shanghai", (12, 14))
    assert rules.next_allowed(noon, "Asia/Shanghai", avoid=(12, 14)) == \
        datetime(2026, 3, 3, 14, 0, tzinfo=SHANGHAI).timestamp()
    # A preferred window wholly inside the avoided hours gives way to the first other allowed time.
    assert rules.next_allowed(noon - 3600, "Asia/Shanghai", (12, 14), (12, 14)) == noon - 3600


def test_no_noon_customers_are_first_called_outside_noon(redis_client, tmp_path, clock, cfg):
    path = tmp_path / "notes.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["手机号", "姓名", "联系时间"])
        for i in range(8):
            w.writerow([f"1391000{i:04d}", f"客户{i}", ["中午别打", "除了中午都行", "中午不方便", "中午不要打"][i % 4]])
    camp = Campaign(redis_client, "notes")
    camp.create(locale="zh-CN")
    import_customers(redis_client, path, load_mapping(None), campaign="notes")
    clock.set(datetime(2026, 3, 3, 11, 50, tzinfo=SHANGHAI).timestamp())  # ten minutes before noon
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    due = [datetime.fromtimestamp(float(redis_client.hget(camp.ck.state(cid), "next_at")), SHANGHAI)
           for cid in camp.members()]
    assert len(due) == 8 and all(not 12 <= d.hour < 14 for d in due), due


def test_dry_run_shows_the_parsed_constraint(redis_server, tmp_path, monkeypatch, capsys):
    import structlog

    from voicebot.cli import main

    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    monkeypatch.setenv("VOICEBOT_LOGGING__LEVEL", "WARNING")
    path = tmp_path / "n.csv"
    path.write_text("手机号,姓名,联系时间\n13910000001,王一,中午别打\n13910000002,王二,晚上不方便，下午可以\n",
                    encoding="utf-8")
    try:
        assert main(["campaign", "import", "dry", str(path), "--dry-run"]) == 0
    finally:
        structlog.reset_defaults()
    out = capsys.readouterr().out
    assert "'中午别打' -> avoid 12:00-14:00" in out
    assert "'晚上不方便，下午可以' -> prefer 14:00-18:00; avoid 18:00-21:00" in out


def test_chinese_public_holidays_are_days_off_unless_allowed():
    from voicebot.config import CampaignConfig

    rules = CallingRules.from_config(CampaignConfig())
    national_day = datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI).timestamp()
    assert not rules.is_allowed(national_day, "Asia/Shanghai")
    after = datetime.fromtimestamp(rules.next_allowed(national_day, "Asia/Shanghai"), SHANGHAI)
    assert after == datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)  # after the Golden Week
    make_up_saturday = datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI).timestamp()  # 调休: a working day
    assert rules.is_allowed(make_up_saturday, "Asia/Shanghai")
    saturday = datetime(2026, 3, 7, 10, 0, tzinfo=SHANGHAI).timestamp()  # an ordinary weekend: a calling day
    assert rules.is_allowed(saturday, "Asia/Shanghai")
    allowed = CallingRules.from_config(CampaignConfig(call_on_public_holidays=True))
    assert allowed.is_allowed(national_day, "Asia/Shanghai")


@pytest.mark.parametrize("locale,lang,expected", [("zh-CN", "C.UTF-8", "已导入 1 行：本活动新增客户 1 人"),
                                                  ("en-US", "zh_CN.UTF-8", "已导入 1 行：本活动新增客户 1 人"),
                                                  ("en-US", "C.UTF-8", "imported 1 rows: 1 customers new to this campaign")])
def test_import_speaks_the_campaigns_or_the_shells_language(redis_server, redis_client, tmp_path, monkeypatch,
                                                            capsys, locale, lang, expected):
    import structlog

    from voicebot.cli import main

    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    monkeypatch.setenv("VOICEBOT_LOGGING__LEVEL", "WARNING")
    monkeypatch.setenv("LANG", lang)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    path = tmp_path / "m.csv"
    path.write_text("手机号,姓名,出生年月\n13910000001,王一,1970三月\n12345,坏,197003\n", encoding="utf-8")
    try:
        assert main(["campaign", "create", "lang", "--locale", locale]) == 0
        assert main(["campaign", "import", "lang", str(path)]) == 0
    finally:
        structlog.reset_defaults()
    out = capsys.readouterr().out
    assert expected in out
    if "已导入" in expected:
        assert "未导入：第 3 行「手机号」列" in out and "请核对：第 2 行「出生年月」列：不是出生日期或出生年月" in out
