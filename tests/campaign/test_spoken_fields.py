"""Raw CRM text is never spoken: every customer field a script line uses goes through one spoken
form (voicebot.dialogue.spoken), checked on the trial's own cells and through the real dialplans."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from voicebot.config import Settings
from voicebot.dialogue.base import CallInfo, Say, UserTurn
from voicebot.dialogue.factory import PlanDialogueFactory
from voicebot.dialogue.personalize import customer_values
from voicebot.dialogue.spoken import spoken_city, spoken_name, spoken_product

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cell,said", [
    ("上海市浦东新区门店", "上海"), ("浙江杭州", "杭州"), ("杭州市", "杭州"), ("浙江省杭州市西湖区文三路店", "杭州"),
    ("广东深圳南山", "深圳"), ("北京朝阳大悦城店", "北京"), ("江苏苏州工业园区", "苏州"), ("门店", ""),
    ("Hangzhou", "Hangzhou"),
])
def test_city_is_the_short_name_people_say(cell, said):
    assert spoken_city(cell) == said


@pytest.mark.parametrize("cell,said", [
    ("【双11爆款】飞鹤星飞帆3段 800g*2罐 (SKU:FH-3-800)", "飞鹤星飞帆3段"), ("婴儿纸尿裤 L码 x2", "婴儿纸尿裤"),
    ("除湿机", "除湿机"), ("奶粉;湿巾;玩具", "奶粉、湿巾等"), ("AirPure 2", "AirPure 2"),
])
def test_product_names_lose_tags_codes_and_sizes(cell, said):
    assert spoken_product(cell) == said


@pytest.mark.parametrize("cell,said", [("王芳(VIP)", "王芳"), ("张伟-老客户", "张伟"), ("欧阳娜娜 13812345678", "欧阳娜娜"),
                                       ("Ann Lee / gold", "Ann Lee")])
def test_names_lose_the_shops_remarks(cell, said):
    assert spoken_name(cell) == said


def test_every_variable_of_a_messy_record_is_in_its_spoken_form():
    record = {"name": "王芳(VIP)", "gender": "女", "x_所在城市": "上海市浦东新区门店", "points": 2600.0,
              "x_最近购买商品": "【新品】婴儿纸尿裤 L码 x2", "last_purchase_at": "2025-11-11"}
    values = customer_values(record, "zh-CN", date(2026, 3, 3))
    assert values == {"salutation": "王女士", "surname": "王", "city": "上海", "points": "2600",
                      "last_purchase": "婴儿纸尿裤", "last_purchase_date": "去年11月11日"}
    assert customer_values({**record, "name": "王芳(VIP)", "gender": ""}, "zh-CN", date(2026, 3, 3))["salutation"] == "王芳"
    en = customer_values({"name": "Ann Lee", "gender": "f", "last_purchase_at": "2024-11-11"}, "en-US", date(2026, 3, 3))
    assert en["salutation"] == "Ms Lee" and en["last_purchase_date"] == "November 11, 2024"


@pytest.fixture(scope="module")
def factory() -> PlanDialogueFactory:
    settings = Settings()
    settings.dialogue.plan = str(ROOT / "dialplans")
    return PlanDialogueFactory(settings)


def _pitch(factory: PlanDialogueFactory, customer: dict) -> str:
    info = CallInfo("v", "outbound", "sip:x@y", "zh-CN", customer)
    d = factory.new_dialogue(info)
    d.start(info)
    d.on_user_turn(UserTurn("对，是我", 0.9, 1, 2))
    return next(a.text for a in d.on_user_turn(UserTurn("可以", 0.9, 5, 6)) if isinstance(a, Say))


def test_the_trials_lines_are_spoken_with_clean_fields(factory):
    store = _pitch(factory, {"name": "李娜", "gender": "女", "segment": "new_lead", "script_variant": "first-order",
                             "city": "上海市浦东新区门店"})
    assert "看到您在我们上海的门店留过信息" in store and "浦东新区门店" not in store
    members = _pitch(factory, {"name": "赵强", "gender": "男", "segment": "brand_loyal", "script_variant": "early-access",
                               "x_城市": "浙江杭州"})
    assert members.startswith("赵先生，感谢您这些年的支持。杭州的老会员") and "浙江杭州" not in members
    year_ago = _pitch(factory, {"name": "孙丽", "gender": "女", "segment": "sleeping_member", "script_variant": "miss-you",
                                "last_purchase": "【爆款】除湿机 20L", "last_purchase_at": f"{date.today().year - 1}-11-11"})
    assert "您去年11月11日在我们这儿买的除湿机用得还好吗" in year_ago
