"""Script variants that really differ, lines that use the customer's data, and the checks behind both."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from voicebot.campaign.scripts import CampaignScripts
from voicebot.config import Settings
from voicebot.dialogue.base import CallInfo, Say, UserTurn
from voicebot.dialogue.factory import PlanDialogueFactory
from voicebot.dialogue.personalize import customer_values, pick_wording, salutation
from voicebot.dialogue.plan import DialplanError, load_dialplan
from voicebot.dialogue.plan.schema import SCRIPT_PARTS
from voicebot.dialogue.plan.variants import ab_arms

ROOT = Path(__file__).resolve().parents[2]
PLANS = {"zh": ROOT / "dialplans/outbound_marketing_zh.yaml", "en": ROOT / "dialplans/outbound_marketing_en.yaml"}


@pytest.mark.parametrize("customer,locale,expected", [
    ({"name": "王建国", "gender": "男"}, "zh-CN", "王先生"),
    ({"name": "李秀英", "gender": "女"}, "zh-CN", "李女士"),
    ({"name": "欧阳娜娜", "x_性别": "F"}, "zh-CN", "欧阳女士"),  # compound surname, unmapped gender column
    ({"name": "张伟"}, "zh-CN", "张伟"),  # gender unknown: the full name, never a guessed title
    ({"name": "John Smith", "gender": "male"}, "en-US", "Mr Smith"),
    ({"name": "Mary Lee", "gender": "F"}, "en-US", "Ms Lee"),
    ({"name": "王建国", "gender": "male"}, "en-US", "王先生"),
    ({"name": "Dr Jones", "gender": "female"}, "en-US", "Dr Jones"),  # already titled
    ({}, "zh-CN", ""),
])
def test_salutation_by_gender(customer, locale, expected):
    assert salutation(customer, locale) == expected


def test_customer_values_and_fallback_wording():
    values = customer_values({"name": "王建国", "gender": "男", "city": "杭州", "points": 1280.0,
                              "last_purchase_at": "2025-03-24", "last_purchase": "除湿机"}, "zh-CN", date(2025, 6, 1))
    assert values == {"salutation": "王先生", "surname": "王", "city": "杭州", "points": "1280",
                      "last_purchase": "除湿机", "last_purchase_date": "3月24日"}
    line = ["{salutation}，您还有{points}积分", "{salutation}，您的会员积分可以抵现"]
    assert pick_wording(line, values) == line[0]
    assert pick_wording(line, {**values, "points": ""}) == line[1]
    assert customer_values({"name": "Ann Lee", "last_purchase_at": "2025-03-24"}, "en-US",
                           date(2025, 6, 1))["last_purchase_date"] == "March 24"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_plans_have_three_different_scripts_per_segment(lang):
    spec = load_dialplan(PLANS[lang]).spec
    for segment in spec.segments:
        arms = ab_arms(spec, segment)
        assert len(arms) == 3, segment
        variants = spec.segments[segment].variants
        pitches = {str(variants[a].pitch) for a in arms}
        assert len(pitches) == 3, segment
        for part in SCRIPT_PARTS:  # every line differs between variants, not only the pitch
            assert len({str(getattr(variants[a], part)) for a in arms}) >= 2, (segment, part)


@pytest.fixture(scope="module")
def factory() -> PlanDialogueFactory:
    settings = Settings()
    settings.dialogue.plan = str(ROOT / "dialplans")
    return PlanDialogueFactory(settings)


def _pitch(factory, locale, customer):
    info = CallInfo("v", "outbound", "sip:x@y", locale, customer)
    d = factory.new_dialogue(info)
    lines = [a.text for a in d.start(info) if isinstance(a, Say)]
    d.on_user_turn(UserTurn("对，是我" if locale == "zh-CN" else "yes it's me", 0.9, 1, 2))
    assert not d.outcome()["pitch_delivered"]  # not a trial yet
    pitch = [a.text for a in d.on_user_turn(UserTurn("可以" if locale == "zh-CN" else "sure", 0.9, 5, 6)) if isinstance(a, Say)]
    return d, lines[0], pitch[0]


def test_campaign_variant_and_customer_data_reach_the_spoken_lines(factory):
    full = {"name": "王建国", "gender": "男", "segment": "brand_loyal", "script_variant": "points-upgrade", "points": 2600}
    d, opening, pitch = _pitch(factory, "zh-CN", full)
    assert opening == "您好，我是明亮家居的会员专员小安，请问是王先生吗？"
    assert pitch.startswith("王先生，您账户里现在有2600积分") and d.outcome()["pitch_delivered"]
    assert d.outcome()["script_variant"] == "points-upgrade"
    # No points on record: the fallback wording, never "有积分" with a hole in it.
    _, _, pitch = _pitch(factory, "zh-CN", {**full, "points": ""})
    assert pitch.startswith("王先生，您的会员积分这次可以抵现")
    # No name at all: the plan's default way to address the account holder.
    _, opening, pitch = _pitch(factory, "zh-CN", {"segment": "brand_loyal", "script_variant": "points-upgrade"})
    assert "请问是机主本人吗" in opening
    # ... but the pitch does not open with "机主本人，" as if that were a name: it opens without one.
    assert not pitch.startswith("机主本人") and pitch.startswith("您的会员积分")
    _, opening, pitch = _pitch(factory, "en-US", {"name": "Mary Lee", "gender": "female", "segment": "sleeping_member",
                                                  "script_variant": "miss-you", "last_purchase": "AirPure 2",
                                                  "last_purchase_at": f"{date.today().year}-03-24"})
    assert "Am I speaking with Ms Lee?" in opening
    assert "How is the AirPure 2 you bought from us on March 24?" in pitch


def test_lines_for_the_phone_to_prerender_while_ringing(factory):
    info = CallInfo("v", "outbound", "sip:x@y", "zh-CN", {"name": "李秀英", "gender": "女", "segment": "new_lead",
                                                         "script_variant": "bestsellers"})
    d = factory.new_dialogue(info)
    lines = d.lines_to_prerender(info)
    assert lines[0] == "您好，我是明亮家居的小安，耽误您一分钟，请问是李女士吗？" and lines[1].startswith("李女士，我们店里卖得最好的")
    assert [a.text for a in d.start(info) if isinstance(a, Say)][0] == lines[0]  # the same text: a cache hit
    prompts = {text for _, text in factory.prompts()}
    assert not any("{" in t for t in prompts) and not any("李女士" in t for t in prompts)


def _plan_with(tmp_path, variants: dict) -> Path:
    """The zh sample plan with other variants for price_sensitive (text edit: YAML 1.1 would read `on:` as true)."""
    text = PLANS["zh"].read_text(encoding="utf-8")
    start = text.index("  price_sensitive:\n")
    end = text.index("  brand_loyal:\n")
    block = yaml.safe_dump({"price_sensitive": {"offer": "tiered_discount", "variants": variants}},
                           allow_unicode=True, sort_keys=False, width=1000)
    path = tmp_path / "plan.yaml"
    path.write_text(text[:start] + "".join("  " + line + "\n" for line in block.splitlines()) + text[end:],
                    encoding="utf-8")
    shutil.copytree(PLANS["zh"].parent / "faq", tmp_path / "faq", dirs_exist_ok=True)  # the plan's FAQ file
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_check_rejects_variants_that_speak_identical_lines(tmp_path):
    same = {"opening": "您好，请问是{salutation}吗？", "pitch": "{product}本周特价。想了解一下吗？",
            "offer": "给您{offer}。要订一台吗？", "closing": "谢谢，再见！"}
    path = _plan_with(tmp_path, {"a": same, "b": dict(same), "c": {**same, "opening": "喂，您好，是{salutation}吗？"}})
    with pytest.raises(DialplanError) as err:
        load_dialplan(path)
    problems = dict(err.value.problems)
    line_b = _line_of(path, "    b:") + 1  # the first line of the second of two identical variants
    assert "variants 'a' and 'b' of segment 'price_sensitive' speak identical lines" in problems[line_b]
    # c differs only in its opening: the A/B test measures the pitch, and c's is a's.
    assert any("variants 'a' and 'c'" in p and "same pitch" in p for _, p in err.value.problems)
    assert str(path) in str(err.value)


def test_check_rejects_a_fallback_that_needs_a_customer_field(tmp_path):
    ok = {"opening": "您好，请问是{salutation}吗？", "offer": "给您{offer}。要订一台吗？", "closing": "谢谢，再见！"}
    path = _plan_with(tmp_path, {"a": {**ok, "pitch": ["{city}的会员有福利。了解一下吗？", "{points}积分能抵现。了解一下吗？"]},
                                 "b": {**ok, "pitch": "好消息：{product}降价了。了解一下吗？"}})
    with pytest.raises(DialplanError) as err:
        load_dialplan(path)
    assert "fallback wording (the last) uses {points}" in str(err.value)


def test_campaign_check_names_the_line_and_the_field(tmp_path):
    ok = {"opening": "您好，请问是{salutation}吗？", "offer": "给您{offer}。要订一台吗？", "closing": "谢谢，再见！"}
    path = _plan_with(tmp_path, {"a": {**ok, "pitch": "{city}的老会员有专属福利。了解一下吗？"},
                                 "b": {**ok, "pitch": "好消息：{product}降价了。了解一下吗？"}})
    scripts = CampaignScripts([load_dialplan(path)])
    customers = [{"id": "c1", "name": "王建国", "city": "杭州"}, {"id": "c2", "name": "李秀英", "crm_id": "CRM-2"}]
    errors, _ = scripts.check_fields({"promo_discount"}, "zh-CN", customers)
    line = _line_of(path, "{city}的老会员")
    assert [str(e) for e in errors] == [
        f"{path}:{line}: segments.price_sensitive.variants.a.pitch uses {{city}}, but 1 of 2 customers "
        f"have no 'city' (e.g. CRM-2); fill the field or write the line as a list whose last wording "
        f"uses no customer field (the fallback)"]
    # The same fault for a Chinese manager, from the same table.
    from voicebot.campaign.cli_messages import error_text

    assert error_text(errors[0], True).endswith("用到了 {city}，但 2 位客户中有 1 位没有「city」（例如 CRM-2）；"
                                                "请补全该字段，或把这句话写成列表，并让最后一种说法不引用客户字段（作为兜底）")
    # The sample plan always has a fallback: customers without points or city only warn, when nobody has them.
    errors, warnings = CampaignScripts([load_dialplan(PLANS["zh"])]).check_fields(
        {"promo_discount", "general"}, "zh-CN", customers)
    assert errors == [] and any("{last_purchase}" in w and "everyone hears the fallback" in w for w in warnings)


def test_campaign_start_warns_when_escalation_has_no_agent():
    scripts = CampaignScripts([load_dialplan(PLANS["zh"])])
    settings = Settings()
    assert "no agent is configured" in scripts.escalation_warning(settings)
    assert "没有配置坐席" in scripts.escalation_warning(settings, zh=True)
    settings.dialogue.agent_uri = "sip:agents@pbx.example"
    assert scripts.escalation_warning(settings) == ""
    settings.dialogue.agent_check = "capacity"
    assert "agent_capacity is 0" in scripts.escalation_warning(settings)


def test_a_user_defined_segment_speaks_its_strategys_scripts(factory):
    scripts = CampaignScripts([load_dialplan(PLANS["zh"])])
    assert scripts.arms("retention_vip", "zh-CN", "杭州VIP", "high_value_churn_risk") == [
        "dedicated-advisor", "care-apology", "exclusive-benefit"]
    d, _, pitch = _pitch(factory, "zh-CN", {"name": "王建国", "gender": "男", "segment": "杭州VIP",
                                            "strategy": "high_value_churn_risk", "script_variant": "care-apology"})
    out = d.outcome()
    assert out["segment"] == "杭州VIP" and out["offer"] == "spend_and_save_coupon" and out["script_variant"] == "care-apology"
    assert pitch.startswith("王先生，好久没见您下单了") and d.tracker.segment == "high_value_churn_risk"


def test_lines_prepared_while_ringing_leave_no_outcome_for_an_unanswered_call(factory):
    info = CallInfo("v", "outbound", "sip:x@y", "zh-CN", {"name": "李秀英", "segment": "new_lead"})
    d = factory.new_dialogue(info)
    assert d.lines_to_prerender(info)
    assert "answered_by" not in d.outcome()  # the session's busy / no answer stands


def test_check_variants_names_each_problem_at_its_line():
    from voicebot.dialogue.plan.schema import ScriptVariant
    from voicebot.dialogue.plan.variants import check_variants

    spec = load_dialplan(PLANS["zh"]).spec
    ok = {"opening": "您好，请问是{salutation}吗？", "offer": "给您{offer}。要订一台吗？", "closing": "谢谢，再见！"}
    variants = {
        "bad name": ScriptVariant(**{**ok, "pitch": "{product}本周特价。", "opening": "  "}),
        "b": ScriptVariant(**{**ok, "pitch": ["{script_pitch}好", "{nosuch}呢", "{points}积分"], "closing": "{unclosed"}),
        "c": ScriptVariant(**{**ok, "pitch": "{product}本周特价！"}),
        "d": ScriptVariant(**{**ok, "pitch": "{product}本周特价。", "opening": "  "}),
    }
    segments = dict(spec.segments)
    segments["price_sensitive"] = segments["price_sensitive"].model_copy(update={"variants": variants})
    segments["default"] = segments["default"].model_copy(update={"variants": {}})
    problems = check_variants(spec.model_copy(update={"segments": segments}))
    at = ("segments", "price_sensitive", "variants")
    assert [p for p, _ in problems] == [
        ("segments", "default"), (*at, "bad name"), (*at, "bad name", "opening"), (*at, "b", "pitch", 0),
        (*at, "b", "pitch", 1), (*at, "b", "pitch", 2), (*at, "b", "closing"), (*at, "c", "pitch"),
        (*at, "d", "opening"), (*at, "d"), (*at, "d", "pitch")]
    messages = [m for _, m in problems]
    assert messages[0] == ("prompts speak {script_...} lines, so the 'default' segment needs script variants "
                           "(segments without their own use them)")
    assert messages[1] == "variant name 'bad name': no spaces, commas or colons (it is an A/B arm's key)"
    assert messages[2] == messages[8] == "empty line"
    assert messages[3] == "a script line cannot use {script_pitch}"
    assert messages[4].startswith("unknown template variable {nosuch} (known: agent_name, city, company,")
    assert messages[5] == "the fallback wording (the last) uses {points}, which is empty for customers without that field"
    assert messages[6].startswith("bad template '{unclosed'")
    assert messages[7] == ("variants 'bad name' and 'c' of segment 'price_sensitive' have the same pitch: the A/B test "
                           "measures the pitch, write a different one")
    assert messages[9] == ("variants 'bad name' and 'd' of segment 'price_sensitive' speak identical lines: the A/B test "
                           "would compare a script with itself")
    assert messages[10].startswith("variants 'c' and 'd' of segment 'price_sensitive' have the same pitch")
