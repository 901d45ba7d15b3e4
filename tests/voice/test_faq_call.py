"""Knowledge-base answer over real SIP: the customer asks a product question in the middle of the
pitch; the bot answers it from the FAQ, asks the pitch question again, and the call carries on."""

from __future__ import annotations

import pytest

from .test_dialplan_calls import answering, heard, intents, persona, place_call, prompts_rendered  # noqa: F401


@pytest.mark.slow
def test_en_faq_question_mid_pitch_is_answered_and_the_call_carries_on(tmp_path):
    phone = answering(tmp_path, persona("en", "asks-faq", [
        "Yes speaking.", "Sure I have a minute.", "How loud is it at night?",
        "I am busy right now. Call me tomorrow."]))
    result = place_call(tmp_path, "en", phone)
    phone.report()
    out = result["outcome"]
    # Either entry answers it (both say 22 decibels at night).
    assert out.get("faq_answered") in (["noise"], ["sleep_mode"]), (out, heard(result))
    assert intents(result)[:4] == ["affirm", "affirm", "faq_question", "busy_call_later"], heard(result)
    bot = [t["text"] for t in result["turns"] if t["who"] == "bot"]
    answer = next(i for i, t in enumerate(bot) if "22 decibels" in t)
    # The answer, then the pitch question again (one spoken line or two).
    assert any("Would you like to hear a little more" in t for t in bot[answer:answer + 2]), bot
    assert out["final_state"] == "callback" and out["intent_grade"] == "C"
