"""How a call hears a short turn: the answers it expects now, and a transcript heard by its sound.

One per call (``PlanDialogue.hearing``). The expected answers of each point of the call are worked
out once (expected.py); a short zh transcript close in sound to one of them is taken as it
(nlu/phonetic.py), and the substitution is kept in the outcome (``heard_as``) so a person can see
what the recogniser wrote and what the bot understood.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voicebot.dialogue.expected import ExpectedAnswer, expected_now, spoken_form
from voicebot.dialogue.nlu.phonetic import match as phonetic_match
from voicebot.locales import is_chinese
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.hearing")
UNHEARD = "unheard"  # the intent of speech with no words recognised
WIDE = (1000, 1000, 6, 1000)  # every example up to six characters: the phonetic matcher costs microseconds


@dataclass
class CallHearing:
    plan: Any  # voicebot.dialogue.plan.Dialplan
    by_sound: bool = True  # dialogue.hear_by_sound
    _cache: dict[tuple[str, bool], tuple[ExpectedAnswer, ...]] = field(default_factory=dict)

    def expected(self, mode: str, state: str, wide: bool = False, closed_only: bool = False) -> tuple[ExpectedAnswer, ...]:
        """``mode``: the state, "survey" or "confirm". ``closed_only``: only while the survey is open,
        for the recogniser (the yes of a "did you mean …?" carries out an act that cannot be undone:
        it must be the customer's own words, never the best of a list)."""
        if closed_only and mode != "survey":
            return ()
        key = (mode, wide)
        if key not in self._cache:
            self._cache[key] = expected_now(self.plan.spec, self.plan.examples, mode, *(WIDE if wide else ()))
        return self._cache[key]

    def hear(self, text: str, mode: str, state: str, record: Any) -> str:
        """A short zh transcript heard by its sound as one of the expected answers, else unchanged."""
        if not text or not self.by_sound or not is_chinese(self.plan.locale):
            return text
        found = phonetic_match(text, [(a.text, a.label) for a in self.expected(mode, state, wide=True)])
        if found is None or found.text == spoken_form(text, self.plan.locale):
            return text
        log.info("heard_as", heard=text, taken_as=found.text, label=found.label, distance=found.distance, state=state)
        record.heard_as.append({"heard": text, "taken_as": found.text, "distance": found.distance})
        return found.text
