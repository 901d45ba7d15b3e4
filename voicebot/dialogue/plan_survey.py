"""The satisfaction question at the end of a dialplan call (the phrases and scores are in survey.py).

Mixed into ``PlanDialogue`` (runtime.py). A hang-up whose reason is in ``survey_after`` asks the
question first and is held in ``surveying``; the answer (spoken or a key), or silence, ends the call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicebot.dialogue import survey
from voicebot.dialogue.base import Action, HangUp, Say
from voicebot.dialogue.outcome import OutcomeRecord
from voicebot.dialogue.plan import Dialplan
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.plan")


class SurveySteps:
    # State held by PlanDialogue (declared here for the reader and the type checker).
    plan: Dialplan
    done: bool
    record: OutcomeRecord | None
    survey_after: frozenset[str]
    surveying: str
    survey_asked_again: bool

    def _survey_first(self, reason: str) -> list[Action] | None:
        """The question instead of the hang-up, when this hang-up is followed by one (else None)."""
        if reason not in self.survey_after or self.surveying:
            return None
        self.surveying = reason  # ask first; the hang-up follows the answer
        self.record.hangup_reason = reason
        return [Say(survey.QUESTION[self.plan.locale])]

    def _survey_heard(self, text: str) -> list[Action]:
        score = survey.score_from_speech(text, self.plan.locale) if text else None
        if score is None and text:
            heard = self._hear(text)
            score = survey.score_from_speech(heard, self.plan.locale) if heard != text else None
        return self._survey_answer(score)

    def _survey_key(self, digit: str) -> list[Action]:
        return self._survey_answer(survey.score_from_dtmf(digit))

    def _survey_answer(self, score: int | None) -> list[Action]:
        locale = self.plan.locale
        if score is None and not self.survey_asked_again:
            self.survey_asked_again = True  # once more, with keys to press
            log.info("survey_not_understood")
            return [Say(survey.ASK_AGAIN[locale])]
        self.done = True
        self.record.csat = score
        log.info("survey_answer", csat=score)
        return [Say(survey.THANKS[locale] if score is not None else survey.GOODBYE[locale]), HangUp(self.surveying)]

    if TYPE_CHECKING:  # defined by PlanDialogue; a stub here would shadow it at run time
        def _hear(self, text: str) -> str: ...
