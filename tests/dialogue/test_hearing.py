"""Issue: hearing a Chinese customer. The engine, not the plan author, protects acts that close a
customer; short zh turns are heard by their sound; a time inside small talk books nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.config import Settings
from voicebot.dialogue.base import HangUp, Say, ScheduleCallback, Tag, UserTurn
from voicebot.dialogue.confirm import DEFAULT_QUESTION, DEFAULT_RESUME
from voicebot.dialogue.factory import PlanDialogueFactory
from voicebot.dialogue.nlu.phonetic import match

from .test_confirm import Call as ConfirmCall

ROOT = Path(__file__).resolve().parents[2]


def _plan_without_confirm(tmp: Path, lang: str, extra: str = "") -> Path:
    """The sample plan as a new user might write it: no confirm section at all."""
    text = (ROOT / f"dialplans/outbound_marketing_{lang}.yaml").read_text(encoding="utf-8")
    lines, out_lines, skipping = text.split("\n"), [], False
    for line in lines:
        if line.startswith("confirm:"):
            skipping = True
            out_lines.append(extra.rstrip("\n")) if extra else None
            continue
        if skipping and line and not line.startswith((" ", "#")):
            skipping = False
        if not skipping:
            out_lines.append(line)
    text = "\n".join(out_lines)
    assert "\nconfirm:" in text if extra else "\nconfirm:" not in text
    text = text.replace("faq: faq/", f"faq: {ROOT}/dialplans/faq/")
    out = tmp / f"user_plan_{lang}.yaml"
    out.write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def user_factory(tmp_path_factory) -> PlanDialogueFactory:
    tmp = tmp_path_factory.mktemp("plans")
    _plan_without_confirm(tmp, "zh")
    _plan_without_confirm(tmp, "en")
    settings = Settings()
    settings.dialogue.plan = str(tmp)
    return PlanDialogueFactory(settings)


class Call(ConfirmCall):
    def goto(self, state):
        self.d.state = state


def _said(actions):
    return [a.text for a in actions if isinstance(a, Say)]


def test_a_plan_without_confirm_still_asks_before_putting_a_number_on_do_not_call(user_factory):
    call = Call(user_factory)
    out = call.say("你打错了", confidence=0.4)  # a doubtful turn
    assert _said(out) == [DEFAULT_QUESTION["zh-CN"]["wrong_number"]]
    assert not any(isinstance(a, (HangUp, Tag)) for a in out)
    back = call.say("不是不是")
    assert _said(back)[0] == DEFAULT_RESUME["zh-CN"]
    outcome = call.d.outcome()
    assert "do_not_call" not in outcome["tags"] and not any(isinstance(a, HangUp) for a in call.actions)
    assert outcome["confirmations"][0]["answer"] == "no" and outcome["confirmations"][0]["acted"] is False


def test_a_yes_carries_out_the_default_confirmation(user_factory):
    call = Call(user_factory)
    call.say("你打错了", confidence=0.4)
    out = call.say("对")
    assert isinstance(out[-1], HangUp) and "do_not_call" in call.d.outcome()["tags"]
    assert call.d.outcome()["confirmations"][0]["acted"] is True


def test_a_closing_intent_from_words_that_open_with_yes_is_asked_back(user_factory):
    """对，我就是车主 filed as wrong_number by a weak plan: heard clearly, still asked back."""
    call = Call(user_factory)
    t = call.d.plan.spec.global_["wrong_number"]
    doubt = call.d.confirm.doubt("wrong_number", t, None, UserTurn("对，我就是车主", 0.95, 0, 1))
    assert doubt is not None and any("yes" in r for r in doubt.reasons)


def test_opting_out_per_intent_is_explicit(tmp_path):
    _plan_without_confirm(tmp_path, "zh", extra="confirm:\n  intents:\n    wrong_number: {never: true}\n\n")
    settings = Settings()
    settings.dialogue.plan = str(tmp_path)
    call = Call(PlanDialogueFactory(settings))
    out = call.say("你打错了", confidence=0.4)
    assert isinstance(out[-1], HangUp)  # the plan said so, explicitly
    from voicebot.dialogue.plan import load_dialplan
    from voicebot.dialogue.plan_traps import lint_traps

    plan = load_dialplan(next(tmp_path.glob("*.yaml")))
    warned = [f for f in lint_traps(plan, None) if "never" in f.message]
    assert len(warned) == 1 and warned[0].line > 0 and "wrong_number" in warned[0].message


def test_a_short_turn_misheard_by_sound_is_confirmed_before_closing(user_factory):
    call = Call(user_factory)
    call.goto("pitch")
    out = call.say("啦黑白")  # 拉黑吧 through G.711
    assert _said(out) == [DEFAULT_QUESTION["zh-CN"]["stop_calling"]]
    assert call.d.outcome()["heard_as"][0]["taken_as"] == "拉黑吧"


@pytest.mark.parametrize("heard,meant", [("普适", "不是"), ("美业", "没有"), ("天不见", "听不见"),
                                         ("有有会吗", "有优惠吗"), ("大折漫", "打折吗")])
def test_phonetic_match_of_the_line_s_confusions(heard, meant):
    answers = [("不是", "deny"), ("没有", "deny"), ("是的", "affirm"), ("对", "affirm"), ("听不见", "ask_repeat"),
               ("有优惠吗", "ask_discount"), ("打折吗", "ask_discount"), ("多少钱", "ask_price"), ("再见", "goodbye")]
    found = match(heard, answers)
    assert found is not None and found.text == meant


def test_phonetic_match_leaves_long_or_distant_turns_alone():
    answers = [("不是", "deny"), ("是的", "affirm")]
    assert match("我想了解一下你们的售后服务怎么样", answers) is None
    assert match("多少钱", answers) is None


@pytest.mark.parametrize("locale,text", [("zh-CN", "明天会下雨吗"), ("en-US", "will it rain tomorrow")])
def test_small_talk_with_a_time_word_books_no_callback(user_factory, locale, text):
    call = Call(user_factory, locale)
    call.goto("pitch")
    out = call.say(text)
    assert not any(isinstance(a, (ScheduleCallback, HangUp)) for a in out), out
    assert _said(out), "declined politely and the call goes on"
    assert call.d.outcome().get("callback_at") in (None, "")


@pytest.mark.parametrize("locale,text", [("zh-CN", "明天下午再打给我吧"), ("en-US", "can you call back after six")])
def test_a_real_callback_request_still_books_one(user_factory, locale, text):
    call = Call(user_factory, locale)
    call.goto("pitch")
    out = call.say(text)
    assert any(isinstance(a, ScheduleCallback) for a in out)


@pytest.mark.parametrize("heard,intent", [("下个是多少", "ask_price"),  # 这个是多少, ASR homophones
                                          ("以后别太大了", "stop_calling")])  # 别再打了
def test_homophones_are_understood_in_a_call_by_their_sound(user_factory, heard, intent):
    """The classifier alone is unsure of these (the right intent ranks first, under its out-of-scope
    line); a call hears them by their sound against the state's answers, and asks back before closing."""
    from voicebot.dialogue.hearing import understand

    h = understand(user_factory, "zh-CN", "pitch", heard, 0.5)
    assert h.label == intent and not h.closed_customer, h


def test_a_turn_not_understood_takes_the_recogniser_s_fallback_by_sound(user_factory):
    """asr.closed_set_fallback: the free decode (玛丽) means nothing the state handles, so the answer
    its sound fits best is taken instead; taken by sound, a closing act is asked back first."""
    from voicebot.dialogue.hearing import understand

    h = understand(user_factory, "zh-CN", "pitch", "玛丽", 0.5, fallback="别打了")
    assert h.label == "stop_calling" and h.taken_as == "别打了" and h.asked_back and not h.closed_customer, h


def test_a_turn_understood_keeps_its_own_words_whatever_the_fallback(user_factory):
    from voicebot.dialogue.hearing import understand

    h = understand(user_factory, "zh-CN", "pitch", "多少钱", 0.9, fallback="别打了")
    assert h.label == "ask_price" and h.taken_as == "", h
