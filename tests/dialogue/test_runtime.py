"""A dialplan driving calls without SIP: each path, escalation rule, outcome and AMD verdict."""

from __future__ import annotations

from pathlib import Path

from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.config import Settings
from voicebot.dialogue.base import CallInfo, HangUp, Say, ScheduleCallback, SendOffer, Tag, Transfer, UserTurn
from voicebot.dialogue.factory import PlanDialogueFactory
from voicebot.emotion.types import EmotionReading

from .conftest import AGENT

ROOT = Path(__file__).resolve().parents[2]


class Call:
    """Talks to one dialogue the way the call session does; keeps every action."""

    def __init__(self, factory, locale="en-US", **customer):
        customer.setdefault("name", "Mr Smith" if locale == "en-US" else "王先生")
        self.info = CallInfo("c1", "outbound", "sip:x@y", locale, customer)
        self.d = factory.new_dialogue(self.info)
        self.actions = list(self.d.start(self.info))
        self.t = 1.0

    def say(self, text, seconds=1.5, emotion=None):
        reading = EmotionReading(emotion, 0.9) if emotion else None
        turn = UserTurn(text, 0.9, self.t, self.t + seconds, reading)
        self.t += seconds + 3
        new = self.d.on_user_turn(turn)
        self.actions += new
        return new

    def lines(self, actions=None):
        return [a.text for a in (self.actions if actions is None else actions) if isinstance(a, Say)]

    def of(self, kind):
        return [a for a in self.actions if isinstance(a, kind)]

    def outcome(self):
        return self.d.outcome()


def test_english_sale_path_is_graded_a_and_converted(factory):
    c = Call(factory, segment="price_sensitive")
    assert "Am I speaking with Mr Smith" in c.lines()[0]
    c.say("yes speaking")
    c.say("sure I have a minute")
    pitch = c.lines()[-1]
    assert "lowest price this year" in pitch  # the segment's first script variant (no campaign choice)
    for text in ["yes tell me more", "yes what does it cost", "ok reserve one for me", "yes send it", "yes",
                 "the weekend is fine"]:
        c.say(text)
    assert c.d.state == "closing_sale"
    assert any("twenty percent off two or more" in line for line in c.lines())  # the segment's offer
    c.say("no that's all thanks")
    assert isinstance(c.actions[-1], HangUp)
    assert c.of(SendOffer)[0].offer == "tiered_discount"
    out = c.outcome()
    assert out["intent_grade"] == "A" and out["converted"] and out["turns"] == 9
    assert out["final_state"] == "goodbye_sale"
    result = CallResult.from_outcome({**out, "answered_by": out["answered_by"], "callbacks": []})
    assert result.converted and result.intent_grade == "A" and result.turns == 9


def test_refusal_path_is_graded_d(factory):
    c = Call(factory, segment="brand_loyal")
    c.say("yes this is he")
    c.say("I'm not interested")
    assert c.d.state == "objection"
    c.say("no")
    out = c.outcome()
    assert out["intent_grade"] == "D" and "not_interested" in out["tags"] and out["final_state"] == "goodbye_refused"
    assert isinstance(c.actions[-1], HangUp)


def test_call_me_later_schedules_the_segment_follow_up(factory):
    c = Call(factory, segment="price_sensitive")
    c.say("yes")
    c.say("I'm busy right now, call me tomorrow")
    cb = c.of(ScheduleCallback)
    # "tomorrow" with no hour: 10 am in the customer's zone, said exactly as booked.
    assert len(cb) == 1 and cb[0].at.hour == 10 and cb[0].at.minute == 0
    assert "call you back tomorrow at 10 am" in c.lines()[-1]
    out = c.outcome()
    assert out["intent_grade"] == "C" and "callback" in out["tags"]


def test_request_human_is_a_warm_transfer_with_a_summary(factory):
    c = Call(factory, segment="price_sensitive")
    c.say("yes it's me")
    c.say("how much is it", emotion="neutral")
    new = c.say("let me speak to a real person")
    transfer = [a for a in new if isinstance(a, Transfer)][0]
    assert transfer.mode == "warm" and transfer.target == AGENT
    assert transfer.reason == "the customer asked for a person"
    s = transfer.summary
    assert "Mr Smith" in s and "price sensitive" in s and "how much is it" in s and "calm" in s
    assert c.d.on_user_turn(UserTurn("hello?", 0.9, 30, 31)) == []  # nothing while transferring
    assert c.d.on_transfer_result(True, "200 OK") == []
    out = c.outcome()
    assert out["transfer_reason"] == "the customer asked for a person" and out["final_state"] == "transferred"


def test_no_agent_answers_then_callback(factory):
    c = Call(factory, segment="price_sensitive")
    c.say("yes")
    c.say("transfer me to an operator")
    after = c.d.on_transfer_result(False, "agent did not answer")
    assert any(isinstance(a, ScheduleCallback) for a in after) and isinstance(after[-1], HangUp)
    assert "no colleague is free" in " ".join(a.text for a in after if isinstance(a, Say))
    assert "callback" in c.outcome()["tags"]


def test_complex_need_twice_in_a_row_escalates(factory):
    c = Call(factory)
    c.say("yes")
    first = c.say("I need a custom quote for three hundred units for my company")
    assert not any(isinstance(a, Transfer) for a in first)
    second = c.say("and what's the weather like tomorrow")  # out of scope counts as well
    transfer = [a for a in second if isinstance(a, Transfer)]
    assert transfer and "complex or out-of-scope need 2 times in a row" in transfer[0].reason


def test_complex_then_simple_resets_the_count(factory):
    c = Call(factory)
    c.say("yes")
    c.say("we want to become a reseller in our region")
    c.say("how much is it")
    new = c.say("can it connect to our building management system")
    assert not any(isinstance(a, Transfer) for a in new)


def test_sustained_agitation_escalates_zh(factory):
    c = Call(factory, "zh-CN")
    c.say("对，是我", emotion="agitated")
    new = c.say("多少钱", emotion="agitated")
    transfer = [a for a in new if isinstance(a, Transfer)]
    assert transfer and "sustained negative emotion" in transfer[0].reason
    assert "激动" in transfer[0].summary and "王先生" in transfer[0].summary


def test_repeated_no_match_escalates(factory):
    c = Call(factory)
    c.say("")  # speech the recogniser could not read
    c.say("")
    new = c.say("")
    assert any(isinstance(a, Transfer) for a in new), c.lines()


def test_high_value_churn_risk_goes_to_a_dedicated_agent_once_interested(factory):
    c = Call(factory, "zh-CN", segment="high_value_churn_risk")
    c.d.tracker.agent_available = lambda: True  # an agent answered the OPTIONS ping
    c.say("对，是我")
    assert not c.of(Transfer)  # confirming who they are is no interest yet
    c.say("可以，你说吧")
    assert c.d.state == "pitch" and not c.of(Transfer)
    new = c.say("好的")
    transfer = [a for a in new if isinstance(a, Transfer)]
    assert transfer and "high_value_churn_risk" in transfer[0].reason
    assert "高价值流失风险客户" in transfer[0].summary


def test_high_value_without_an_available_agent_hears_the_pitch():
    settings = Settings()
    settings.dialogue.plan = str(ROOT / "dialplans/outbound_marketing_en.yaml")
    settings.dialogue.agent_uri = AGENT  # configured, but nobody answers its OPTIONS ping
    c = Call(PlanDialogueFactory(settings), segment="high_value_churn_risk")
    for text in ["yes that's me", "sure I have a minute", "yes tell me more"]:
        c.say(text)
    assert c.d.state == "details" and c.outcome()["pitch_delivered"]
    assert not c.of(Transfer) and not c.of(ScheduleCallback) and not c.of(HangUp)
    assert not any("no colleague" in line for line in c.lines())


def test_stop_calling_and_wrong_number_and_complaint_tags(factory):
    c = Call(factory)
    c.say("take me off your list and never call this number again")
    out = c.outcome()
    assert out["do_not_call"] and out["intent_grade"] == "D"
    assert CallResult.from_outcome(out).do_not_call
    c = Call(factory)
    c.say("you have the wrong number")
    assert "wrong_number" in c.outcome()["tags"]
    c = Call(factory)
    c.say("yes")
    c.say("I want to make a complaint, your service is terrible")
    assert c.outcome()["complaint"] and c.of(Transfer)[0].reason == "complaint"


def test_no_input_reprompts_then_gives_up(factory):
    c = Call(factory)
    first = c.d.on_no_input()
    assert "are you still there" in first[0].text
    c.d.on_no_input()
    last = c.d.on_no_input()
    assert any(isinstance(a, HangUp) for a in last) or any(isinstance(a, Transfer) for a in last)


def test_voicemail_by_phrase_and_by_long_greeting(factory):
    c = Call(factory)
    new = c.say("Hi, you've reached John. I can't take your call right now, please leave a message after the tone.", 7.0)
    assert isinstance(new[-1], HangUp) and new[-1].reason == "voicemail"
    assert "We will call again soon" in new[0].text
    out = c.outcome()
    assert out["answered_by"] == "voicemail" and out["intent_grade"] is None
    assert CallResult.from_outcome(out).answered_by == "voicemail"
    c = Call(factory, "zh-CN")
    new = c.say("您莫大利用普参事无法协议。前才即时因此溜言。", 5.0)  # ASR of 请在提示音后留言: matched by sound
    assert c.outcome()["answered_by"] == "voicemail"
    c = Call(factory, "zh-CN")
    c.say("您好,我现在不安点点点点,我现在是因何六言。", 4.0)  # 留言 heard as 六言 (a numeral once normalised)
    assert c.outcome()["answered_by"] == "voicemail"
    c = Call(factory, "zh-CN")
    c.say("天天天天天天天天天天天天天天天", 8.0)  # garbled and long: a recorded greeting
    assert c.outcome()["answered_by"] == "voicemail"
    c = Call(factory, "zh-CN")
    c.t = 0.0  # talking from pickup for 9 s: a machine, even if the words look like "busy"
    c.say("您好,我现在不安点点点点,我现在是因何利欲。", 9.0)
    assert c.outcome()["answered_by"] == "voicemail"
    c = Call(factory, "zh-CN")
    c.say("喂，你好", 1.0)
    assert c.outcome()["answered_by"] == "human"
    c = Call(factory, "zh-CN")
    c.t = 4.0  # a person who waited for the greeting and then talks at length
    c.say("我现在没时间，我在开会，你明天下午再打给我吧，明天下午三点以后都可以", 7.0)
    assert c.outcome()["answered_by"] == "human" and c.outcome()["final_state"] == "callback"


def test_plan_selection_by_campaign_dialplan_name_and_locale(factory):
    job = CallJob("camp", "c9:1", "c9", "+8613800000000", 1, segment="price_sensitive", dialplan="promo_discount",
                  script_variant="tiered", offer="tiered_discount", locale="zh-CN",
                  customer={"name": "李女士"})
    info = job.call_info("call-9", "sip:+8613800000000@pbx")
    d = factory.new_dialogue(info)
    assert d.plan.name == "outbound_marketing_zh"
    d.start(info)
    d.on_user_turn(UserTurn("对，是我", 0.9, 1, 2))
    pitch = d.on_user_turn(UserTurn("可以", 0.9, 5, 6))
    assert "阶梯优惠，买得越多越便宜" in pitch[0].text and "李女士" in pitch[0].text  # the campaign's variant
    out = d.outcome()
    assert out["script_variant"] == "tiered" and out["offer"] == "tiered_discount" and out["pitch_delivered"]
    # A plan in another locale than the call's: the plan decides the call's language.
    info = CallInfo("c2", "inbound", "sip:a@b", "en-US", {"dialplan": "outbound_marketing_zh"})
    assert factory.new_dialogue(info).plan.locale == "zh-CN" and info.locale == "zh-CN"


def test_prompts_cover_fixed_lines_in_both_locales(factory):
    prompts = list(factory.prompts())
    locales = {loc for loc, _ in prompts}
    assert locales == {"en-US", "zh-CN"}
    assert all("{" not in text for _, text in prompts)
    assert ("en-US", "Thank you for your time. Goodbye!") in prompts


def test_session_action_types_only(factory):
    """Every action the runtime emits is one the call session knows how to carry out."""
    c = Call(factory, segment="brand_loyal")
    for text in ["yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "no"]:
        c.say(text)
    assert all(isinstance(a, (Say, Transfer, HangUp, Tag, ScheduleCallback, SendOffer)) for a in c.actions)


def test_voicemail_phrase_in_a_later_sentence_of_the_greeting(factory):
    c = Call(factory)
    c.t = 0.5
    c.say("Hi, you have reached John Smith.", 2.0)
    new = c.say("Please leave a message after the tone.", 2.5)
    assert isinstance(new[-1], HangUp) and c.outcome()["answered_by"] == "voicemail"
    # ... but once a person has answered a question, "leave a message" is just words.
    c = Call(factory)
    c.say("yes speaking")
    c.say("can I leave a message for your manager")
    assert c.outcome()["answered_by"] == "human"


def test_the_question_asked_again_is_the_lines_last_question_not_the_greeting_over_again():
    from voicebot.dialogue.runtime import question_of

    assert question_of("感谢您接听！我们最近有个活动，想占用您一分钟时间跟您介绍一下，可以吗？") == \
        "我们最近有个活动，想占用您一分钟时间跟您介绍一下，可以吗？"
    assert question_of("Thank you! I am calling with a short offer. Do you have one minute?") == "Do you have one minute?"
    # one sentence, a title's full stop, or no question at the end: the whole line
    assert question_of("您好，我是小安，请问是机主本人吗？") == "您好，我是小安，请问是机主本人吗？"
    assert question_of("Hello, this is Anna. Am I speaking with Mr. Lee?") == "Am I speaking with Mr. Lee?"
    assert question_of("It costs 20.5 dollars. Please hold.") == "It costs 20.5 dollars. Please hold."


def test_a_customer_without_a_name_is_not_addressed_as_the_plans_stand_in():
    from voicebot.dialogue.personalize import drop_address

    assert drop_address("{salutation}, we have just launched {product}.") == "We have just launched {product}."
    assert drop_address("{salutation}，我们刚推出了{product}。") == "我们刚推出了{product}。"
    assert drop_address("Am I speaking with {salutation}?") == "Am I speaking with {salutation}?"
