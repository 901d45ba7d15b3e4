"""Callback times from the customer's words (zh and en), within calling hours, said exactly as booked."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.scheduler import CallingRules, next_step
from voicebot.config import CampaignConfig, Settings
from voicebot.dialogue.base import CallInfo, Say, ScheduleCallback, UserTurn
from voicebot.dialogue.callback_time import CallbackPlanner, parse_when, say_time
from voicebot.dialogue.factory import PlanDialogueFactory

ROOT = Path(__file__).resolve().parents[2]
SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 3, 10, 7, tzinfo=SH)  # a Tuesday morning in Shanghai

# (words, expected local time, how the bot says it)
ZH = [
    ("明天下午再打给我吧", (3, 4, 14, 0), "明天下午两点"),
    ("周末再说吧", (3, 7, 10, 0), "这周六上午十点"),
    ("晚上七点以后吧", (3, 3, 19, 0), "今天晚上七点"),
    ("下周一再打", (3, 9, 10, 0), "下周一上午十点"),
    ("一个小时后再打过来", (3, 3, 11, 7), "一个小时后"),
    ("过两天吧", (3, 5, 10, 0), "后天上午十点"),
    ("明天上午十点半", (3, 4, 10, 30), "明天上午十点半"),
    ("下午3点", (3, 3, 15, 0), "今天下午三点"),
    ("星期五下午四点", (3, 6, 16, 0), "这周五下午四点"),
    ("后天晚上", (3, 5, 19, 0), "后天晚上七点"),
    ("两个半小时以后", (3, 3, 12, 37), "两个半小时后"),
    ("六点以后", (3, 3, 18, 0), "今天晚上六点"),
    ("我在开车，晚点再打吧", (3, 3, 12, 7), "两个小时后"),  # "later" with no time: two hours
    ("礼拜六上午", (3, 7, 10, 0), "这周六上午十点"),
]
EN = [
    ("call me in an hour", (3, 3, 11, 7), "in an hour"),
    ("tomorrow morning would be better", (3, 4, 10, 0), "tomorrow at 10 am"),
    ("after six please", (3, 3, 18, 0), "today at 6 pm"),
    ("next Monday", (3, 9, 10, 0), "on Monday at 10 am"),
    ("in half an hour", (3, 3, 10, 37), "in half an hour"),
    ("call me at 3 pm tomorrow", (3, 4, 15, 0), "tomorrow at 3 pm"),
    ("friday afternoon", (3, 6, 14, 0), "on Friday at 2 pm"),
    ("this weekend", (3, 7, 10, 0), "on Saturday at 10 am"),
    ("tonight at 7:30", (3, 3, 19, 30), "today at 7:30 pm"),
    ("in two days", (3, 5, 10, 0), "on Thursday at 10 am"),
    ("can you call me later", (3, 3, 12, 7), "in two hours"),
    ("around 7 tonight", (3, 3, 19, 0), "today at 7 pm"),
]


@pytest.mark.parametrize("words,expected,said", ZH + EN)
def test_phrases_are_read_in_the_customers_zone(words, expected, said):
    locale = "zh-CN" if any("\u4e00" <= ch <= "\u9fff" for ch in words) else "en-US"
    when = parse_when(words, NOW, locale)
    assert when is not None, words
    assert (when.at.month, when.at.day, when.at.hour, when.at.minute) == expected
    assert say_time(when.at, NOW, locale, when.relative) == said


@pytest.mark.parametrize("words,locale", [("我在开会", "zh-CN"), ("不需要", "zh-CN"), ("I'm busy", "en-US"),
                                          ("what's the price", "en-US")])
def test_no_time_no_guess(words, locale):
    assert parse_when(words, NOW, locale) is None


def test_weekend_on_a_saturday_is_sunday_and_a_passed_hour_is_tomorrow():
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=SH)
    assert parse_when("周末吧", saturday, "zh-CN").at.day == 8
    assert parse_when("三点", datetime(2026, 3, 3, 16, 0, tzinfo=SH), "zh-CN").at == datetime(2026, 3, 4, 15, 0, tzinfo=SH)


def _planner(clock_ts: float, tz: str = "Asia/Shanghai", cfg: CampaignConfig | None = None) -> CallbackPlanner:
    cfg = cfg or CampaignConfig(holidays=["2026-03-06"])
    return CallbackPlanner("zh-CN", tz, CallingRules.from_config(cfg), lambda: clock_ts, cfg.callback_min_delay_s)


def test_planner_keeps_to_calling_hours_holidays_and_minimum_delay():
    p = _planner(NOW.timestamp())
    late = p.asked("晚上九点再打吧")  # calling hours end at 20:00: the next allowed time, said as booked
    assert late.at == datetime(2026, 3, 4, 9, 0, tzinfo=SH) and late.said == "明天上午九点"
    holiday = p.asked("周五下午")  # 6 March is a holiday
    assert holiday.at == datetime(2026, 3, 7, 9, 0, tzinfo=SH) and holiday.said == "这周六上午九点"
    soon = p.asked("十分钟后再打")  # sooner than callback_min_delay_s (30 min)
    assert soon.at == datetime(2026, 3, 3, 10, 45, tzinfo=SH) and soon.said == "今天上午十点四十五分"
    default = p.default(86400)  # a segment's "next day", booked on the half hour
    assert default.at == datetime(2026, 3, 4, 10, 30, tzinfo=SH) and default.said == "明天上午十点半" and not default.asked


def test_a_used_up_daily_budget_moves_the_offered_time():
    """Two answered calls today (campaign.max_calls_per_day = 2): "in an hour" becomes the first time the
    number may be called again, and that is what the bot says."""
    cfg = CampaignConfig()
    budget = datetime(2026, 3, 4, 9, 40, tzinfo=SH).timestamp()  # 24 h after this morning's first call
    p = CallbackPlanner("zh-CN", "Asia/Shanghai", CallingRules.from_config(cfg), lambda: NOW.timestamp(),
                        cfg.callback_min_delay_s, budget)
    cb = p.asked("一个小时后再打吧")
    assert cb.at == datetime(2026, 3, 4, 9, 45, tzinfo=SH) and cb.said == "明天上午九点四十五分"


def test_customer_time_zone_is_used():
    p = CallbackPlanner("en-US", "America/New_York", CallingRules.from_config(CampaignConfig()),
                        lambda: NOW.timestamp(), 1800)  # 21:07 the day before in New York
    cb = p.asked("tomorrow morning")
    assert cb.at == datetime(2026, 3, 3, 10, 0, tzinfo=NY) and cb.said == "tomorrow at 10 am"


@pytest.fixture(scope="module")
def factory() -> PlanDialogueFactory:
    settings = Settings()
    settings.dialogue.plan = str(ROOT / "dialplans")
    return PlanDialogueFactory(settings)


def _call(factory, locale: str, texts: list[str], **customer):
    info = CallInfo("cb", "outbound", "sip:x@y", locale, {"name": "王建国", "gender": "男", "segment": "brand_loyal",
                                                          "timezone": "Asia/Shanghai", **customer})
    d = factory.new_dialogue(info)
    d.clock = lambda: NOW.timestamp()
    actions = d.start(info)
    for i, text in enumerate(texts):
        actions += d.on_user_turn(UserTurn(text, 0.9, 1 + 4 * i, 2 + 4 * i))
    return d, actions


@pytest.mark.parametrize("locale,texts,said,at", [
    ("zh-CN", ["对，是我", "我现在在开会，明天下午再打给我吧"], "好的，那我明天下午两点再给您打过来",
     datetime(2026, 3, 4, 14, 0, tzinfo=SH)),
    ("zh-CN", ["对，是我", "可以", "我在忙，晚上七点以后再打吧"], "好的，那我今天晚上七点再给您打过来",
     datetime(2026, 3, 3, 19, 0, tzinfo=SH)),
    ("zh-CN", ["是我", "一个小时后再打吧"], "好的，那我一个小时后再给您打过来", datetime(2026, 3, 3, 11, 7, tzinfo=SH)),
    ("en-US", ["yes speaking", "I'm driving, call me tomorrow morning"], "I will call you back tomorrow at 10 am",
     datetime(2026, 3, 4, 10, 0, tzinfo=SH)),
    ("en-US", ["yes", "can you call back after six"], "I will call you back today at 6 pm", datetime(2026, 3, 3, 18, 0, tzinfo=SH)),
])
def test_the_time_said_is_the_time_booked(factory, locale, texts, said, at):
    d, actions = _call(factory, locale, texts)
    cbs = [a for a in actions if isinstance(a, ScheduleCallback)]
    lines = [a.text for a in actions if isinstance(a, Say)]
    assert len(cbs) == 1 and cbs[0].at == at, (lines, cbs)
    assert any(said in line for line in lines), lines
    # Through the campaign: the outcome becomes callback_at, and next_step books exactly that.
    outcome = {**d.outcome(), "callbacks": [{"at": cbs[0].at.isoformat(), "delay_s": None, "note": ""}]}
    result = CallResult.from_outcome(outcome)
    job = CallJob("c", "x:1", "x", "+8613900000000", 1, timezone="Asia/Shanghai")
    cfg = CampaignConfig()
    step = next_step(job, result, NOW.timestamp() + 90, CallingRules.from_config(cfg), cfg, started=NOW.timestamp())
    assert step.kind == "callback" and step.at == at.timestamp()


def test_a_time_alone_is_a_callback_request(factory):
    d, actions = _call(factory, "zh-CN", ["是我", "明天下午吧"])
    assert d.state == "callback" and any(isinstance(a, ScheduleCallback) for a in actions)


def test_no_time_given_uses_the_segment_follow_up_said_as_booked(factory):
    d, actions = _call(factory, "zh-CN", ["是我", "我现在很忙"])  # brand_loyal: follow up in three days
    cb = [a for a in actions if isinstance(a, ScheduleCallback)][0]
    assert cb.at == datetime(2026, 3, 6, 10, 30, tzinfo=SH)
    assert any("这周五上午十点半再给您打过来" in a.text for a in actions if isinstance(a, Say))


# --- one callback decision: what is said is what is booked, under the campaign's limits now ---------
def _book(d, cbs, customer: dict, cfg: CampaignConfig, rules: CallingRules, callbacks_booked: int = 0) -> float | None:
    """The campaign's side: the call's outcome through next_step, as the worker books it."""
    outcome = {**d.outcome(), "callbacks": [{"at": cb.at.isoformat(), "delay_s": None, "note": ""} for cb in cbs]}
    job = CallJob("c", "x:1", "x", "+8613900000000", 1, timezone="Asia/Shanghai", customer=customer)
    step = next_step(job, CallResult.from_outcome(outcome), NOW.timestamp() + 90, rules, cfg,
                     callbacks_booked=callbacks_booked, started=NOW.timestamp())
    return step.at if step.kind == "callback" else None


HOURS_10_19 = {"calling_hours_start": "10:00", "calling_hours_end": "19:00"}


@pytest.mark.parametrize("locale,texts,said,at", [
    # 22:00 is outside the changed hours (10:00-19:00): promised for the time booked, and said as such.
    ("zh-CN", ["是我", "晚上十点再打给我吧"], "明天上午十点", datetime(2026, 3, 4, 10, 0, tzinfo=SH)),
    ("zh-CN", ["是我", "明天上午九点再打吧"], "明天上午十点", datetime(2026, 3, 4, 10, 0, tzinfo=SH)),
    ("en-US", ["yes", "call me at 10 pm"], "tomorrow at 10 am", datetime(2026, 3, 4, 10, 0, tzinfo=SH)),
    ("en-US", ["yes", "call me back in an hour"], "in an hour", datetime(2026, 3, 3, 11, 7, tzinfo=SH)),
])
def test_changed_hours_are_said_and_booked(factory, locale, texts, said, at):
    cfg = CampaignConfig()
    rules = replace(CallingRules.from_config(cfg), open_minute=600, close_minute=1140)  # as `campaign hours` sets
    d, actions = _call(factory, locale, texts, **HOURS_10_19, callbacks_left=2)
    cbs = [a for a in actions if isinstance(a, ScheduleCallback)]
    lines = [a.text for a in actions if isinstance(a, Say)]
    assert len(cbs) == 1 and cbs[0].at == at, (lines, cbs)
    assert any(said in line for line in lines), lines
    assert _book(d, cbs, {**HOURS_10_19}, cfg, rules) == at.timestamp()


@pytest.mark.parametrize("locale,texts,said,at", [
    ("zh-CN", ["是我", "一个小时后再打吧"], "明天上午九点四十五分", datetime(2026, 3, 4, 9, 45, tzinfo=SH)),
    ("en-US", ["yes", "call me back in an hour"], "tomorrow at 9:45 am", datetime(2026, 3, 4, 9, 45, tzinfo=SH)),
])
def test_the_daily_cap_moves_the_time_said_and_booked_alike(factory, locale, texts, said, at):
    cfg = CampaignConfig()
    budget = {"callback_not_before": datetime(2026, 3, 4, 9, 40, tzinfo=SH).timestamp(), "callbacks_left": 1}
    d, actions = _call(factory, locale, texts, **budget)
    cbs = [a for a in actions if isinstance(a, ScheduleCallback)]
    assert len(cbs) == 1 and cbs[0].at == at
    assert any(said in a.text for a in actions if isinstance(a, Say))
    assert _book(d, cbs, budget, cfg, CallingRules.from_config(cfg), callbacks_booked=1) == at.timestamp()


@pytest.mark.parametrize("locale,texts,promise", [
    ("zh-CN", ["是我", "一个小时后再打吧"], "给您打过来"),
    ("zh-CN", ["是我", "我现在很忙"], "给您打过来"),
    ("en-US", ["yes", "call me back in an hour"], "call you back"),
])
def test_no_callback_promised_once_max_callbacks_is_used(factory, locale, texts, promise):
    cfg = CampaignConfig(max_callbacks=2)
    d, actions = _call(factory, locale, texts, callbacks_left=0)
    lines = [a.text for a in actions if isinstance(a, Say)]
    assert not [a for a in actions if isinstance(a, ScheduleCallback)]
    assert not any(promise in line for line in lines), lines
    assert any(("随时联系我们" if locale == "zh-CN" else "contact us whenever") in line for line in lines), lines
    assert "callback_unavailable" in d.outcome()["tags"]
    assert _book(d, [], {}, cfg, CallingRules.from_config(cfg), callbacks_booked=2) is None


@pytest.mark.parametrize("locale,left,said", [("zh-CN", 1, "我们会在今天中午十二点半给您回电"),
                                               ("en-US", 1, "Someone will call you back today at 12:30 pm"),
                                               ("zh-CN", 0, None), ("en-US", 0, None)])
def test_a_failed_transfer_books_the_callback_it_promises(factory, locale, left, said):
    info = CallInfo("t", "outbound", "sip:x@y", locale, {"name": "王建国", "segment": "brand_loyal",
                                                         "timezone": "Asia/Shanghai", "callbacks_left": left})
    d = factory.new_dialogue(info)
    d.clock = lambda: NOW.timestamp()
    d.start(info)
    d.agent_uri = "sip:agent@x"
    actions = d._transfer("customer_asked") + d.on_transfer_result(False, "no answer")
    cbs = [a for a in actions if isinstance(a, ScheduleCallback)]
    lines = [a.text for a in actions if isinstance(a, Say)]
    if said is None:
        assert not cbs and not any("call you back" in x or "回电" in x for x in lines), lines
        return
    assert any(said in line for line in lines), lines
    cfg = CampaignConfig()
    assert len(cbs) == 1 and _book(d, cbs, {}, cfg, CallingRules.from_config(cfg)) == cbs[0].at.timestamp()


def test_english_words_on_a_chinese_campaign_are_read_as_english():
    assert parse_when("call me back in an hour", NOW, "zh-CN").at == datetime(2026, 3, 3, 11, 7, tzinfo=SH)


def test_last_years_purchase_date_is_said_with_its_year():
    from datetime import date

    from voicebot.dialogue.personalize import customer_values

    today = date(2026, 3, 3)
    assert customer_values({"last_purchase_at": "2025-11-11"}, "zh-CN", today)["last_purchase_date"] == "去年11月11日"
    assert customer_values({"last_purchase_at": "2024-06-18"}, "zh-CN", today)["last_purchase_date"] == "2024年6月18日"
    assert customer_values({"last_purchase_at": "2026-02-14"}, "zh-CN", today)["last_purchase_date"] == "2月14日"
    assert customer_values({"last_purchase_at": "2025-11-11"}, "en-US", today)["last_purchase_date"] == \
        "November 11 last year"
