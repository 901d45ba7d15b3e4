"""No irreversible action on a doubtful turn.

The engine protects the acts that close a customer for good, in every plan, whether its author
wrote a ``confirm:`` section or not: a transition that puts the number on do-not-call, files it as
a wrong number or closes the customer as refused (``closes_customer``), and the intents named for
that (stop calling, wrong number, not interested). A plan may word the question itself, or opt out
per intent with ``never: true`` (``dialplan check`` warns). Any other intent the dialplan lists under
``confirm:`` whose transition would hang up or tag the customer is asked back the same way.
Such a turn is asked back first when it is doubtful:
the recogniser's confidence or the margin between the best and the second intent is low
(``dialogue.confirm_asr_confidence`` / ``confirm_intent_margin``). Only a yes carries the action
out; on a no the call goes on where it was (the plan's ``confirm.resume`` line, then the current
question again). An unclear answer is asked once more, then counts as a no: doing nothing is the
safe side. Every question and its answer goes into the outcome (``confirmations``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

from voicebot.dialogue.base import Action, Say, UserTurn
from voicebot.dialogue.nlu.base import OUT_OF_SCOPE, IntentResult
from voicebot.dialogue.plan.schema import (
    ConfirmIntent,
    DialplanSpec,
    HangUpAction,
    Prompt,
    TagAction,
    TransferAction,
    Transition,
)
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.confirm")

Answer = Literal["yes", "no", "unclear", "other"]
# Bare answers the intent classifier may not be sure of, or cannot see (its normaliser drops 嗯).
YES_WORDS = frozenset({"嗯", "嗯嗯", "嗯对", "对", "对的", "对呀", "对啊", "是", "是的", "是啊", "是呀", "没错", "对对",
                       "对对对", "是是", "确定", "yes", "yeah", "yep", "yes please", "right", "correct", "thats right",
                       "uh huh", "mhm", "sure"})
NO_WORDS = frozenset({"不", "不是", "不是的", "不对", "没有", "没", "不不", "不是不是", "没有没有", "no", "nope", "no no",
                      "not at all", "thats not what i said", "no i didnt"})
# An answer that opens with these is that answer, whatever follows (不是不是，我是说发短信就行).
NO_OPENINGS = ("不是", "不对", "没有", "no ", "nope", "not ")
YES_OPENINGS = ("对", "是的", "是啊", "没错", "嗯对", "yes ", "yeah ", "right ", "correct")
NOT_AN_ANSWER = frozenset({OUT_OF_SCOPE, "unheard", "greet", "ask_repeat"})
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)

# What closes a customer for good: these tags and hang-up reasons, and the intents named for them.
CLOSING_TAGS = frozenset({"do_not_call", "wrong_number", "not_interested", "opt_out"})
CLOSING_HANGUPS = frozenset({"do_not_call", "wrong_number", "refused", "not_interested", "opt_out"})
CLOSING_INTENTS = frozenset({"stop_calling", "do_not_call", "wrong_number", "wrong_person", "not_interested"})
# The engine's own questions, for plans that word none. {heard}: the customer's words as recognised.
DEFAULT_QUESTION: dict[str, dict[str, str]] = {
    "zh-CN": {"stop_calling": "跟您确认一下，您是说以后不要再给您打电话了，对吗？",
              "do_not_call": "跟您确认一下，您是说以后不要再给您打电话了，对吗？",
              "wrong_number": "不好意思，跟您确认一下，您是说我们打错电话了，对吗？",
              "wrong_person": "不好意思，跟您确认一下，您是说我们打错电话了，对吗？",
              "": "不好意思，跟您确认一下，您是说不需要了，以后也不用再联系您，对吗？"},
    "en-US": {"stop_calling": "Just to be sure: you'd like us to stop calling you, is that right?",
              "do_not_call": "Just to be sure: you'd like us to stop calling you, is that right?",
              "wrong_number": "Sorry, just to check: we have the wrong number, is that right?",
              "wrong_person": "Sorry, just to check: we have the wrong number, is that right?",
              "": "Just to be sure: you're not interested, and we shouldn't contact you again, is that right?"},
}
DEFAULT_RESUME = {"zh-CN": "好的，不好意思，是我听错了。", "en-US": "Sorry, my mistake."}


@dataclass(frozen=True)
class ConfirmPolicy:
    asr_confidence: float = 0.6  # below: the words may be misheard
    intent_margin: float = 0.3  # best minus second intent score below: the meaning may be misread

    @staticmethod
    def from_settings(dialogue_cfg: Any) -> ConfirmPolicy:
        return ConfirmPolicy(dialogue_cfg.confirm_asr_confidence, dialogue_cfg.confirm_intent_margin)


@dataclass(frozen=True)
class Doubt:
    asr_confidence: float
    intent_confidence: float
    margin: float
    reasons: tuple[str, ...]


@dataclass
class OpenQuestion:
    intent: str
    transition: Transition
    state: str
    heard: str
    doubt: Doubt
    question: str
    asked: int = 1


def irreversible(t: Transition, spec: DialplanSpec) -> bool:
    """The transition (or the state it enters) hangs up, transfers or tags the customer."""
    final = (HangUpAction, TagAction, TransferAction)
    if any(isinstance(a, final) for a in t.actions):
        return True
    return t.goto is not None and any(isinstance(a, final) for a in spec.states[t.goto].actions)


def closes_customer(intent: str, t: Transition, spec: DialplanSpec) -> bool:
    """The transition (or the state it enters) closes the customer: do-not-call, wrong number, refused."""
    actions = [*t.actions, *(spec.states[t.goto].actions if t.goto else [])]
    for a in actions:
        if isinstance(a, TagAction) and CLOSING_TAGS & set(a.tags):
            return True
        if isinstance(a, HangUpAction) and a.reason in CLOSING_HANGUPS:
            return True
    return intent in CLOSING_INTENTS and irreversible(t, spec)


def margin(result: IntentResult | None) -> float:
    if result is None:
        return 0.0
    scores = [s for _, s in result.ranking]
    if len(scores) < 2:
        return result.confidence
    return scores[0] - scores[1]


def classify_answer(intent: str, text: str, asked_intent: str) -> Answer:
    plain = _PUNCT.sub(" ", text.lower().replace("'", "")).strip()
    if plain in YES_WORDS or plain.replace(" ", "") in YES_WORDS:
        return "yes"
    if plain in NO_WORDS or plain.replace(" ", "") in NO_WORDS:
        return "no"
    if plain.startswith(NO_OPENINGS):
        return "no"
    if plain.startswith(YES_OPENINGS) and intent != "deny":
        return "yes"
    if intent in ("affirm", asked_intent):
        return "yes"
    if intent == "deny":
        return "no"
    if intent in NOT_AN_ANSWER:
        return "unclear"
    return "other"


@dataclass
class ConfirmGate:
    """One per call. ``record`` is the call's OutcomeRecord (its ``confirmations`` list)."""
    spec: DialplanSpec
    policy: ConfirmPolicy
    record: Any
    render: Callable[[Any], str]  # a prompt -> the line for this call (variants, variables)
    state_of: Callable[[], str]  # the call's current state
    open: OpenQuestion | None = None

    @property
    def waiting(self) -> bool:
        return self.open is not None

    def rule(self, intent: str, t: Transition) -> ConfirmIntent | None:
        """The plan's rule for this intent, the engine's default for an act that closes the customer,
        or None (act at once)."""
        written = self.spec.confirm.intents.get(intent) if self.spec.confirm else None
        if written is not None:
            return None if written.never or not irreversible(t, self.spec) else written
        return ConfirmIntent() if closes_customer(intent, t, self.spec) else None

    def question(self, intent: str, rule: ConfirmIntent) -> Prompt:
        if rule.say is not None:
            return rule.say
        table = DEFAULT_QUESTION.get(self.spec.locale, DEFAULT_QUESTION["en-US"])
        return table.get(intent, table[""])

    def resume_line(self) -> Prompt:
        if self.spec.confirm is not None and self.spec.confirm.resume is not None:
            return self.spec.confirm.resume
        return DEFAULT_RESUME.get(self.spec.locale, DEFAULT_RESUME["en-US"])

    def doubt(self, intent: str, t: Transition, result: IntentResult | None, turn: UserTurn,
              heard_by_sound: bool = False) -> Doubt | None:
        """Why this turn must be asked back before acting, or None to act at once."""
        rule = self.rule(intent, t)
        if rule is None or (rule.in_states and self.state_of() not in rule.in_states):
            return None
        m = margin(result)
        reasons = []
        if heard_by_sound:
            reasons.append("words taken by their sound")
        plain = _PUNCT.sub(" ", turn.text.lower()).strip()
        if intent in CLOSING_INTENTS and plain.startswith(YES_OPENINGS) and not plain.startswith(NO_OPENINGS):
            reasons.append("a closing intent from words that open with a yes")  # 对，我就是车主 -> wrong_number
        if turn.confidence < self.policy.asr_confidence:
            reasons.append(f"asr confidence {turn.confidence:.2f} < {self.policy.asr_confidence}")
        if m < self.policy.intent_margin:
            reasons.append(f"intent margin {m:.2f} < {self.policy.intent_margin}")
        if rule.always:
            reasons.append("always confirmed")
        if not reasons:
            return None
        return Doubt(round(turn.confidence, 3), round(result.confidence if result else 0.0, 3), round(m, 3),
                     tuple(reasons))

    def ask(self, intent: str, t: Transition, state: str, heard: str, doubt: Doubt) -> list[Action]:
        question = self.render(self.question(intent, self.rule(intent, t) or ConfirmIntent()))
        self.open = OpenQuestion(intent, t, state, heard, doubt, question)
        log.info("confirm_asked", intent=intent, heard=heard, reasons=list(doubt.reasons), state=state)
        return [Say(question)]

    def on_answer(self, intent: str, text: str, apply: Callable[[str, Transition], list[Action]],
                  question_again: Callable[[], list[Action]]) -> list[Action] | None:
        """The turn after the question. Returns the actions, or None when the customer moved on
        to something else (the question is dropped and the turn is handled as usual)."""
        q = self.open
        assert q is not None
        answer = classify_answer(intent, text, q.intent)
        if answer == "unclear" and q.asked < 2:
            q.asked += 1
            log.info("confirm_unclear", intent=q.intent, answer_text=text)
            return [Say(q.question)]
        self.open = None
        acted = answer == "yes"
        self.record.confirmations.append({
            "intent": q.intent, "state": q.state, "heard": q.heard, "question": q.question,
            "asr_confidence": q.doubt.asr_confidence, "intent_confidence": q.doubt.intent_confidence,
            "intent_margin": q.doubt.margin, "reasons": list(q.doubt.reasons),
            "answer": answer, "answer_text": text, "acted": acted,
        })
        log.info("confirm_answered", intent=q.intent, answer=answer, answer_text=text, acted=acted)
        if acted:
            return apply(q.intent, q.transition)
        if answer == "other":
            return None
        return [Say(self.render(self.resume_line())), *question_again()]
