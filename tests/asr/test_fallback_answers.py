"""Issue #18: what the recogniser is given at each point of a call when it also scores every
expected answer for the dialogue's fallback (asr.closed_set_fallback). Pure logic; the real-audio
checks are in test_expected_hints.py."""

from __future__ import annotations

from voicebot.asr.base import ExpectedPhrase, phrases
from voicebot.dialogue.expected import ExpectedAnswer, for_recogniser


def test_every_answer_reaches_the_recogniser_but_only_the_closed_set_s_may_be_chosen():
    own = (ExpectedAnswer("对", "affirm"), ExpectedAnswer("不是", "deny"))
    survey = (ExpectedAnswer("满意", "csat:5"),)

    def answers_of(closed_only: bool):
        return survey if closed_only else survey + own

    given = for_recogniser(answers_of, "questions", hints=True)
    assert [(p.text, p.choose) for p in given] == [("满意", True), ("对", False), ("不是", False)]
    assert phrases(given)[0] == ["满意"]  # what closed-set scoring may put in place of the free decode
    assert for_recogniser(answers_of, "questions", hints=False) == (ExpectedPhrase("满意", "csat:5"),)
    assert for_recogniser(answers_of, "off", hints=False) == ()
    assert [p.choose for p in for_recogniser(answers_of, "off", hints=True)] == [False, False, False]


def test_no_fallback_toward_the_yes_of_a_did_you_mean_question():
    """That yes carries out an act that cannot be undone: it must be the customer's own words."""
    confirm = (ExpectedAnswer("对", "yes"), ExpectedAnswer("不是", "no"))
    assert for_recogniser(lambda closed_only: () if closed_only else confirm, "questions", hints=True) == ()
