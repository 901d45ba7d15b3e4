"""No irreversible action on a doubtful turn: the sample plans' confirmations, in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.config import Settings
from voicebot.dialogue.base import CallInfo, HangUp, Say, UserTurn
from voicebot.dialogue.confirm import classify_answer
from voicebot.dialogue.factory import PlanDialogueFactory
from voicebot.dialogue.plan import DialplanError, load_dialplan

ROOT = Path(__file__).resolve().parents[2]
ASK_ZH = "您是说以后不要再给您打电话了，对吗？"


@pytest.fixture(scope="module")
def factory() -> PlanDialogueFactory:
    settings = Settings()
    settings.dialogue.plan = str(ROOT / "dialplans")
    return PlanDialogueFactory(settings)


class Call:
    def __init__(self, factory, locale="zh-CN"):
        name = "王先生" if locale == "zh-CN" else "Mr Smith"
        self.info = CallInfo("c1", "outbound", "sip:x@y", locale, {"name": name, "segment": "price_sensitive"})
        self.d = factory.new_dialogue(self.info)
        self.actions = list(self.d.start(self.info))
        self.t = 1.0

    def say(self, text, confidence=0.9):
        new = self.d.on_user_turn(UserTurn(text, confidence, self.t, self.t + 1.5))
        self.t += 5
        self.actions += new
        return new


def lines(actions):
    return [a.text for a in actions if isinstance(a, Say)]


def test_misheard_stop_calling_is_asked_back_and_a_yes_acts(factory):
    c = Call(factory)
    c.say("对，是我")
    asked = c.say("以后别再打了", confidence=0.29)  # the case: ASR confidence 0.29
    assert lines(asked) == [ASK_ZH] and not any(isinstance(a, HangUp) for a in asked)
    assert c.d.state == "intro" and not c.d.outcome()["do_not_call"]
    done = c.say("对")
    assert isinstance(done[-1], HangUp) and c.d.state == "do_not_call"
    out = c.d.outcome()
    assert out["do_not_call"] is True
    (conf,) = out["confirmations"]
    assert conf["intent"] == "stop_calling" and conf["answer"] == "yes" and conf["acted"] is True
    assert conf["question"] == ASK_ZH and conf["heard"] == "以后别再打了" and conf["asr_confidence"] == 0.29
    assert conf["answer_text"] == "对" and any("asr confidence" in r for r in conf["reasons"])


def test_a_no_goes_on_where_the_call_was(factory):
    c = Call(factory)
    c.say("对，是我")
    c.say("我不想再接到你们电话", confidence=0.3)
    resumed = c.say("不是不是")
    # The resume line, then the question the call was on (intro), and nothing done.
    assert lines(resumed)[0] == "好的，不好意思，是我听错了。" and "占用您一分钟" in lines(resumed)[1]
    assert c.d.state == "intro" and not any(isinstance(a, HangUp) for a in resumed)
    out = c.d.outcome()
    assert out["do_not_call"] is False and out["confirmations"][0]["answer"] == "no"
    assert out["confirmations"][0]["acted"] is False
    c.say("可以，你说吧")
    assert c.d.state == "pitch"


def test_a_clear_request_acts_at_once(factory):
    c = Call(factory)
    c.say("对，是我")
    out = c.say("以后不要再给我打电话了", confidence=0.92)
    assert isinstance(out[-1], HangUp) and c.d.outcome()["confirmations"] == []
    assert c.d.outcome()["do_not_call"] is True


def test_an_unclear_answer_is_asked_once_more_then_nothing_is_done(factory):
    c = Call(factory)
    c.say("对，是我")
    c.say("别再打了", confidence=0.2)
    again = c.say("", confidence=0.0)  # speech with no words
    assert lines(again) == [ASK_ZH]
    silent = c.d.on_no_input()
    assert lines(silent)[0] == "好的，不好意思，是我听错了。" and c.d.state == "intro"
    assert c.d.outcome()["confirmations"][0]["answer"] == "unclear" and not c.d.outcome()["do_not_call"]


def test_moving_on_to_another_question_drops_the_confirmation(factory):
    c = Call(factory)
    c.say("对，是我")
    c.say("别再打了", confidence=0.2)
    answer = c.say("那个，多少钱啊")
    assert "价格是" in " ".join(lines(answer)) and c.d.outcome()["confirmations"][0]["answer"] == "other"
    assert not c.d.outcome()["do_not_call"]


def test_only_irreversible_transitions_are_confirmed(factory):
    c = Call(factory)
    c.say("对，是我")
    c.say("可以")
    # At the pitch "not interested" leads to the objection handler: nothing to undo, no question.
    out = c.say("我不需要", confidence=0.2)
    assert c.d.state == "objection" and ASK_ZH not in lines(out)
    # In the objection handler a doubtful refusal ends the campaign for them: asked back.
    asked = c.say("不用了", confidence=0.3)
    assert lines(asked) == ["您是说暂时不考虑了，对吗？"] and c.d.state == "objection"
    c.say("嗯")
    assert c.d.state == "goodbye_refused" and c.d.outcome()["confirmations"][0]["acted"] is True


def test_english_wrong_number_is_confirmed_by_intent_margin(factory):
    c = Call(factory, "en-US")
    factory_policy = c.d.confirm.policy
    asked = c.say("you have the wrong number", confidence=factory_policy.asr_confidence - 0.01)
    assert lines(asked) == ["Just to be sure: this is not Mr Smith's number?"]
    c.say("yes that's right")
    out = c.d.outcome()
    assert c.d.state == "wrong_number" and out["do_not_call"] and out["confirmations"][0]["answer"] == "yes"


@pytest.mark.parametrize("text,intent,answer", [
    ("嗯", "out_of_scope", "yes"), ("对的", "affirm", "yes"), ("不是的", "deny", "no"), ("No.", "deny", "no"),
    ("别打了", "stop_calling", "yes"), ("不是不是，我是说发短信就行", "affirm", "no"), ("对，别打了", "stop_calling", "yes"),
    ("什么？", "ask_repeat", "unclear"), ("多少钱", "ask_price", "other"),
])
def test_answers_are_read_as_yes_no_unclear_or_something_else(text, intent, answer):
    assert classify_answer(intent, text, "stop_calling") == answer


def test_loader_reports_bad_confirmations_with_their_lines(tmp_path):
    src = (ROOT / "dialplans/outbound_marketing_zh.yaml").read_text(encoding="utf-8")
    bad = src.replace("    wrong_number: 您是说我们打错电话了", "    wrong_numbr: 您是说我们打错电话了").replace(
        "in_states: [objection]", "in_states: [objektion]")
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DialplanError) as err:
        load_dialplan(path)
    text = str(err.value)
    line_of = {s.split(":", 1)[0].strip(): n for n, s in enumerate(bad.splitlines(), 1) if s.startswith("    ")}
    assert f"bad.yaml:{line_of['wrong_numbr']}: confirm.intents.wrong_numbr: unknown intent 'wrong_numbr'" in text
    assert "unknown state 'objektion'" in text
