"""What a call expects to hear next: the short answers the current state handles.

At every point of a call the plan knows which answers make sense: the intents of the current state
and the plan's global ones (their short examples), the survey's answers while the survey is open,
yes and no while a confirmation is open. The recogniser scores these against a short turn's audio
(asr/closed_set.py) and the phonetic matcher compares a short transcript with them
(nlu/phonetic.py). Each phrase keeps the label it stands for, so a match says what was meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from voicebot.asr.base import ExpectedPhrase
from voicebot.locales import is_chinese

if TYPE_CHECKING:
    from voicebot.dialogue.base import ExpectedAnswerLike

_PUNCT = re.compile(r"[\s，。？！、,.?!…~～'\"“”‘’]+")
# Short = what customers say as a whole answer on the phone: 1-4 characters, or 1-3 words.
MAX_ZH_CHARS = 4
MAX_EN_WORDS = 3
PER_INTENT = 3  # the state's own intents: their shortest few examples, enough to cover how each is said briefly
PER_GLOBAL = 1  # every other intent the call handles there: its shortest example (after the state's own)


@dataclass(frozen=True)
class ExpectedAnswer:
    text: str
    label: str  # intent name, "csat:satisfied" (…neutral, …dissatisfied), or "yes" / "no"


def short(text: str, locale: str, max_chars: int = MAX_ZH_CHARS) -> bool:
    plain = _PUNCT.sub(" " if not is_chinese(locale) else "", text).strip()
    if not plain:
        return False
    return len(plain) <= max_chars if is_chinese(locale) else len(plain.split()) <= MAX_EN_WORDS


def spoken_form(text: str, locale: str) -> str:
    """How the recogniser would write it: no trailing punctuation, zh without inner spaces."""
    plain = _PUNCT.sub("" if is_chinese(locale) else " ", text).strip()
    return plain if is_chinese(locale) else plain.lower()


def answers_for_intents(intents: list[str], examples: dict[str, list[str]], locale: str,
                        per_intent: int = PER_INTENT, max_chars: int = MAX_ZH_CHARS) -> list[ExpectedAnswer]:
    """Interleaved by rank (each intent's shortest first), so a cap keeps every intent."""
    per: list[list[str]] = []
    for name in intents:
        # Shortest first, in the plan's order among equal lengths (a set's order changed per process).
        forms = sorted(dict.fromkeys(spoken_form(e, locale) for e in examples.get(name, ()) if short(e, locale, max_chars)),
                       key=len)
        per.append(forms[:per_intent])
    out: list[ExpectedAnswer] = []
    seen: set[str] = set()
    for rank in range(per_intent):
        for name, forms in zip(intents, per):
            if rank < len(forms) and forms[rank] not in seen:
                seen.add(forms[rank])
                out.append(ExpectedAnswer(forms[rank], name))
    return out


MAX_ANSWERS = 24  # align() cost grows with the candidates: ~15 ms each on 2 threads


def handled_intents(spec, state: str) -> tuple[list[str], list[str]]:
    """The state's own intents, and the others a call handles there: the plan's global ones and a
    request for a person when the plan's escalation takes it."""
    from voicebot.dialogue.escalation import REQUEST_HUMAN

    own = list(spec.states[state].on)
    others = [g for g in spec.global_ if g not in own]
    if spec.escalation.request_human and REQUEST_HUMAN in spec.intents and REQUEST_HUMAN not in own + others:
        others.append(REQUEST_HUMAN)
    return own, others


def expected_now(spec, examples: dict[str, list[str]], mode: str, per_intent: int = PER_INTENT,
                 max_answers: int = MAX_ANSWERS, max_chars: int = MAX_ZH_CHARS,
                 per_global: int = PER_GLOBAL) -> tuple[ExpectedAnswer, ...]:
    """``mode``: a state name, "survey" (the CSAT question is open) or "confirm" (did you mean…?).
    The recogniser gets a few short answers of each of the state's own intents and fewer of the
    others, the state's first; the phonetic matcher, which costs microseconds, every example up
    to six characters (``per_intent`` and ``per_global`` large)."""
    from voicebot.dialogue import survey
    from voicebot.dialogue.confirm import NO_WORDS, YES_WORDS

    locale = spec.locale
    if mode == "survey":
        # Labelled by what the report counts, so 满意 (5) need not beat 比较满意 (4) by sound to be
        # taken, only 一般 and 不满意: the score itself is read from the words (survey.score_from_speech).
        return tuple(ExpectedAnswer(text, f"csat:{survey.rating_class(score)}")
                     for text, score in survey.expected(locale, wide=max_answers > MAX_ANSWERS))
    if mode == "confirm":
        words = [(w, "yes") for w in sorted(YES_WORDS)] + [(w, "no") for w in sorted(NO_WORDS)]
        return tuple(ExpectedAnswer(w, label) for w, label in words
                     if is_chinese(locale) == bool(re.search(r"[\u4e00-\u9fff]", w)) and short(w, locale))[:max_answers]
    own, others = handled_intents(spec, mode)
    answers = answers_for_intents(own, examples, locale, per_intent, max_chars)
    seen = {a.text for a in answers}
    answers += [a for a in answers_for_intents(others, examples, locale, per_global, max_chars) if a.text not in seen]
    return tuple(answers[:max_answers])


def label_of(text: str, answers: tuple[ExpectedAnswer, ...]) -> str | None:
    return next((a.label for a in answers if a.text == text), None)


def for_recogniser(answers_of: Callable[[bool], tuple[ExpectedAnswerLike, ...]], closed_set: str,
                   hints: bool) -> tuple[ExpectedPhrase, ...]:
    """What the recogniser gets now: the answers it may choose by sound (asr.closed_set:
    ``answers_of(closed_only)``) and, when ``hints`` (asr.closed_set_fallback), every other expected
    answer of the state, to be scored for the dialogue's fallback only (``choose`` False)."""
    chosen = answers_of(closed_set == "questions") if closed_set != "off" else ()
    if not hints:
        return tuple(ExpectedPhrase(a.text, a.label) for a in chosen)
    may_choose = {a.text for a in chosen}
    # Never a hint toward the yes or no of a "did you mean …?": that yes carries out an act that
    # cannot be undone, and must come from the audio alone.
    every = list(chosen) + [a for a in answers_of(False) if a.text not in may_choose and a.label not in ("yes", "no")]
    return tuple(ExpectedPhrase(a.text, a.label, a.text in may_choose) for a in every)
