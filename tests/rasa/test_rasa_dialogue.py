"""dialogue.plan = "rasa": a real Rasa server drives the conversation over its REST webhook."""

from __future__ import annotations

import uuid

from voicebot.config import load_settings
from voicebot.dialogue.base import CallInfo, HangUp, Say, ScheduleCallback, Tag, Transfer, UserTurn
from voicebot.dialogue.nlu.rasa_client import rasa_pool
from voicebot.dialogue.rasa_dialogue import APOLOGY, UNAVAILABLE, RasaDialogue, RasaDialogueFactory
from voicebot.session.engines import load_dialogue_factory

from .conftest import next_rasa_port


def _turn(text: str) -> UserTurn:
    return UserTurn(text=text, confidence=0.9, start_s=0.0, end_s=1.0)


def _call(locale: str = "en-US") -> CallInfo:
    return CallInfo(call_id=uuid.uuid4().hex, direction="outbound", remote_uri="sip:callee@127.0.0.1",
                    locale=locale, customer={"name": "Alice" if locale == "en-US" else "王女士"})


def test_the_plan_setting_makes_rasa_drive_the_call(rasa_servers, monkeypatch):
    monkeypatch.setenv("VOICEBOT_DIALOGUE__PLAN", "rasa")
    monkeypatch.setenv("VOICEBOT_DIALOGUE__RASA_URL", rasa_servers["en-US"].url)
    monkeypatch.setenv("VOICEBOT_DIALOGUE__AGENT_URI", "sip:agent@127.0.0.1:5999")
    factory = load_dialogue_factory(load_settings())
    assert isinstance(factory, RasaDialogueFactory)
    prompts = list(factory.prompts())
    assert ("en-US", "It is 1299 yuan, with free delivery.") in prompts
    assert not any("{name}" in text for _, text in prompts)  # per-customer lines are not pre-rendered

    call = _call()
    dialogue = factory.new_dialogue(call)
    assert dialogue.start(call) == [
        Say("Hello Alice, this is Acme Home. We have a quiet new air purifier for you, interested?")]
    assert dialogue.on_user_turn(_turn("how much does it cost")) == [Say("It is 1299 yuan, with free delivery.")]
    assert dialogue.on_no_input() == [Say("Hello, are you still there?")]
    assert dialogue.on_user_turn(_turn("can I talk to a real person")) == [
        Say("One moment, I'll connect you to a colleague."),
        Transfer("sip:agent@127.0.0.1:5999", "blind", "", "asked for a person")]
    assert dialogue.on_transfer_result(False, "no answer") == [
        Say("Sorry, nobody is free right now; we will call you back."), HangUp("no_agent")]
    outcome = dialogue.outcome()
    assert outcome["intents"] == ["call_start", "ask_price", "no_input", "request_human", "transfer_failed"]
    assert outcome["transferred"] is False and outcome["rasa_failures"] == 0 and outcome["turns"] == 2


def test_chinese_conversation_and_call_actions(rasa_servers):
    factory = RasaDialogueFactory(rasa_servers["zh-CN"].url, "zh-CN", agent_uri="sip:agent@127.0.0.1:5999")
    call = _call("zh-CN")
    dialogue = factory.new_dialogue(call)
    assert dialogue.start(call) == [Say("王女士您好，我们新出了一款静音空气净化器，您感兴趣吗？")]
    assert dialogue.on_user_turn(_turn("我现在在开会，晚点再打吧")) == [
        Say("不好意思打扰了，我晚点再打给您。"), ScheduleCallback(delay_s=7200.0), HangUp("callback")]
    other = _call("zh-CN")  # a second call at the same time has its own conversation
    second = factory.new_dialogue(other)
    second.start(other)
    assert second.on_user_turn(_turn("以后别再给我打电话了")) == [
        Say("明白，以后不再打扰您。"), Tag(("do_not_call",)), HangUp("do_not_call")]
    assert dialogue.outcome()["intents"] == ["call_start", "busy_call_later"]
    assert second.outcome()["intents"] == ["call_start", "stop_calling"]


def test_rasa_gone_mid_call_the_callee_hears_an_apology_and_nothing_raises():
    dead = f"http://127.0.0.1:{next_rasa_port()}"  # nothing listens: what a crashed server looks like
    call = _call()
    dialogue = RasaDialogue(rasa_pool(1.0), dead, call, agent_uri="")
    assert dialogue.start(call) == [Say(UNAVAILABLE["en-US"], interruptible=False), HangUp("dialogue engine unavailable")]
    assert dialogue.on_user_turn(_turn("hello")) == [Say(APOLOGY["en-US"])]
    assert dialogue.on_dtmf("1") == [Say(APOLOGY["en-US"])]
    outcome = dialogue.outcome()
    assert outcome["rasa_failures"] == 3 and outcome["intents"] == []
