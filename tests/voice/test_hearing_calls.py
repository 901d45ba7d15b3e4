"""Hearing a Chinese customer, over real SIP: the bot (``voicebot call``) and a simulated customer
phone, both speaking the Mandarin neural voice (the customer's made another speaker).

- 不是 to "are you Mr Wang?": not closed as a wrong number without confirmation
- 满意 to the satisfaction question: counted
- 明天会下雨吗 in the middle of the pitch: declined politely, and the call goes on
"""

from __future__ import annotations

import pytest

from .test_dialplan_calls import answering, bot_lines, heard, intents, persona, place_call, prompts_rendered  # noqa: F401

pytestmark = pytest.mark.slow
SURVEY_ON = {"VOICEBOT_DIALOGUE__SURVEY__ENABLED": "true"}


def test_no_to_are_you_mr_wang_never_closes_the_number_unconfirmed(tmp_path):
    phone = answering(tmp_path, persona("zh", "zh-not-him", ["不是。"]))
    result = place_call(tmp_path, "zh", phone)
    phone.report()
    out = result["outcome"]
    why = (out, heard(result), intents(result))
    assert out["do_not_call"] is False and "wrong_number" not in out.get("tags", []), why
    closing = [c for c in out.get("confirmations", []) if c["acted"]]
    assert out["final_state"] != "wrong_number" or closing, why


def test_satisfied_in_the_spoken_survey_is_counted(tmp_path):
    phone = answering(tmp_path, persona("zh", "zh-busy-satisfied", [
        "嗯，是我。", "我在开会呢，你明天下午再打给我吧。", "满意。"],
        bot_done_silence_ms=1500))  # a person lets the whole question finish (it pauses at its colon)
    result = place_call(tmp_path, "zh", phone, env=SURVEY_ON)
    phone.report()
    out = result["outcome"]
    why = (heard(result), bot_lines(result), out)  # what was heard first: CI's summary keeps the start
    assert out["final_state"] == "callback" and out["csat"] == 5, why
    assert "感谢您的评价，再见！" in bot_lines(result), why


def test_small_talk_with_a_time_word_is_declined_and_the_call_goes_on(tmp_path):
    phone = answering(tmp_path, persona("zh", "zh-small-talk", [
        "嗯，对，是我。", "你说吧。", "明天会下雨吗？", "好的，再见。"]))
    result = place_call(tmp_path, "zh", phone)
    phone.report()
    out = result["outcome"]
    why = (out, heard(result), bot_lines(result), intents(result))
    assert not out.get("callbacks") and out["final_state"] != "callback", why
    assert out["turns"] >= 4 and out["do_not_call"] is False, why
    rain = next(i for i, t in enumerate(result["turns"]) if t["who"] == "callee" and ("雨" in t["text"] or "明天" in t["text"]))
    assert any(t["who"] == "bot" for t in result["turns"][rain + 1:]), "the bot answered and went on"
