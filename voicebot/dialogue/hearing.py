"""One callee turn understood exactly as a call at a given state understands it.

Used by ``voicebot nlu hear`` and by the spoken benchmark: the same recogniser (with the state's
expected answers when ``asr.closed_set_margin`` is on), the same hearing by sound, intent
classifier, confirmation rules and survey scoring as a live call, because it runs the call's own
dialogue, put at that state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from voicebot.asr.base import ExpectedPhrase
from voicebot.dialogue.base import Action, CallInfo, HangUp, Say, ScheduleCallback, Tag, UserTurn
from voicebot.dialogue.confirm import CLOSING_HANGUPS, CLOSING_TAGS
from voicebot.dialogue.expected import for_recogniser
from voicebot.locales import is_chinese

SURVEY = "survey"  # the pseudo-state of the satisfaction question


@dataclass(frozen=True)
class HeardTurn:
    transcript: str  # what the recogniser wrote (an expected answer it scored, if it chose one)
    asr_confidence: float
    taken_as: str  # the words the dialogue took (after hearing by sound); '' = the transcript
    label: str  # the intent, or csat:N in the survey ('unheard', 'out_of_scope', 'csat:none')
    intent_confidence: float
    asked_back: bool  # the bot asked "did you mean …?" instead of acting
    closed_customer: bool  # the turn put the number on do-not-call / closed the customer
    booked_callback: bool
    said: tuple[str, ...]
    free_transcript: str = ""  # the free decode an expected answer replaced ('' = none replaced)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def closes(actions: list[Action]) -> bool:
    return any((isinstance(a, Tag) and CLOSING_TAGS & set(a.tags)) or (isinstance(a, HangUp) and a.reason in CLOSING_HANGUPS)
               for a in actions)


def new_call(factory, locale: str, state: str, customer: dict[str, Any] | None = None):
    info = CallInfo("hear", "outbound", "sip:hear@localhost", locale,  # type: ignore[arg-type]
                    customer or {"name": "王先生" if is_chinese(locale) else "Mr Wang", "segment": "default"})
    d = factory.new_dialogue(info)
    d.start(info)
    if state == SURVEY:
        d.surveying = "completed"
    elif state not in d.plan.spec.states:
        raise ValueError(f"state {state!r} is not in plan {d.plan.name} (states: {', '.join(d.plan.spec.states)}, "
                         f"or '{SURVEY}')")
    else:
        d.state = state
    return d


def understand(factory, locale: str, state: str, transcript: str, asr_confidence: float,
               by_sound: bool = False, fallback: str = "") -> HeardTurn:
    """``by_sound``: the recogniser chose the transcript from the expected answers; ``fallback``: its
    best expected answer by sound (asr.closed_set_fallback)."""
    d = new_call(factory, locale, state)
    actions = d.on_user_turn(UserTurn(transcript, asr_confidence, 1.0, 2.0, by_sound=by_sound, fallback_text=fallback))
    rec = d.record
    taken = rec.heard_as[-1]["taken_as"] if rec.heard_as else ""
    if state == SURVEY:
        label = f"csat:{rec.csat}" if rec.csat is not None else "csat:none"
        confidence = 1.0 if rec.csat is not None else 0.0
    else:
        label = rec.intents[-1] if rec.intents else "unheard"
        confidence = 0.0
        if transcript.strip():
            confidence = d.nlu.parse(taken or transcript.strip()).confidence
    return HeardTurn(transcript, round(asr_confidence, 3), taken, label, round(confidence, 3), d.confirm.waiting,
                     closes(actions), any(isinstance(a, ScheduleCallback) for a in actions),
                     tuple(a.text for a in actions if isinstance(a, Say)))


def expected_texts(factory, locale: str, state: str, closed_only: bool) -> tuple[ExpectedPhrase, ...]:
    return tuple(ExpectedPhrase(a.text, a.label)
                 for a in new_call(factory, locale, state).expected_answers(closed_only=closed_only))


def recogniser_expected(factory, locale: str, state: str, closed_set: str, hints: bool) -> tuple[ExpectedPhrase, ...]:
    """As a call at ``state`` gives the recogniser (session/turn_recognition.py does the same)."""
    d = new_call(factory, locale, state)
    return for_recogniser(lambda closed_only: d.expected_answers(closed_only=closed_only), closed_set, hints)


def hear_audio(recognizer, factory, locale: str, state: str, pcm16k: np.ndarray, language: str | None,
               closed_set: str, hints: bool = False) -> HeardTurn:
    """``closed_set``: asr.closed_set ("off", "questions", "all"); ``hints``: asr.closed_set_fallback."""
    expected = recogniser_expected(factory, locale, state, closed_set, hints)
    t = recognizer.transcribe(pcm16k, language, expected=expected) if expected else recognizer.transcribe(pcm16k, language)
    heard = understand(factory, locale, state, t.text, t.confidence, by_sound=bool(t.free_text), fallback=t.fallback_text)
    return replace(heard, free_transcript=t.free_text) if t.free_text else heard
