"""A dialplan running one call: a state machine driven by recognised intents.

Each callee turn: answering-machine check (first turn) -> intent -> escalation rules -> the state's
(or the plan's global) transition for that intent -> actions. Not understood -> the state's
no-match line, and after `retries` the plan's `on_exhausted` state.

The steps around that core are in their own modules: set-up for a customer (plan_setup.py), callback
times (plan_callbacks.py), hand-over to a person (plan_handover.py), the closing survey
(plan_survey.py) and a supervisor's orders (plan_orders.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voicebot.dialogue.agents import NOBODY, AgentAvailability
from voicebot.dialogue.amd import AnsweringMachineDetector
from voicebot.dialogue.base import Action, CallInfo, HangUp, Say, SendOffer, Tag, UserTurn
from voicebot.dialogue.call_hearing import UNHEARD, CallHearing
from voicebot.dialogue.callback_time import CallbackPlanner, CallbackTime, CallingHours, no_callback_line
from voicebot.dialogue.confirm import ConfirmGate, ConfirmPolicy
from voicebot.dialogue.escalation import EscalationTracker
from voicebot.dialogue.expected import ExpectedAnswer, handled_intents
from voicebot.dialogue.faq import FaqReply, FaqResponder
from voicebot.dialogue.nlu.base import FAQ_INTENT, OUT_OF_SCOPE, IntentClassifier, IntentResult
from voicebot.dialogue.outcome import INTENT_GRADES, OutcomeRecord
from voicebot.dialogue.personalize import capitalize_first, drop_address
from voicebot.dialogue.plan import Dialplan
from voicebot.dialogue.plan.schema import (
    ActionSpec,
    CallbackAction,
    HangUpAction,
    OfferAction,
    Prompt,
    SayAction,
    SegmentStrategy,
    TagAction,
    TransferAction,
    Transition,
)
from voicebot.dialogue.plan.templates import pick_variant, render
from voicebot.dialogue.plan_callbacks import CallbackSteps
from voicebot.dialogue.plan_handover import HandoverSteps
from voicebot.dialogue.plan_orders import SupervisorOrders
from voicebot.dialogue.plan_setup import CallSetup
from voicebot.dialogue.plan_survey import SurveySteps
from voicebot.logs import get_logger
from voicebot.tts.sentences import split_sentences

log = get_logger("voicebot.dialogue.plan")


# The steps of a call live by concept in the plan_* mixins; this class holds the call's state, the
# states' entry and transitions, and the Dialogue interface that drives them.
@dataclass
class PlanDialogue(CallSetup, CallbackSteps, HandoverSteps, SurveySteps, SupervisorOrders):
    plan: Dialplan
    nlu: IntentClassifier
    amd: AnsweringMachineDetector
    agent_uri: str = ""
    call: CallInfo | None = None
    state: str = ""
    done: bool = False
    transferring: bool = False
    retries_used: int = 0
    values: dict[str, Any] = field(default_factory=dict)
    addressable: bool = True  # the customer's name is known: lines may open by addressing them
    variants: tuple[str, ...] = ()
    strategy: SegmentStrategy | None = None
    record: OutcomeRecord | None = None
    tracker: EscalationTracker | None = None
    heard: list[str] = field(default_factory=list)
    human_confirmed: bool = False
    confirm_policy: ConfirmPolicy = field(default_factory=ConfirmPolicy)
    confirm: ConfirmGate | None = None
    recognition_prompt: str = ""  # the plan's domain words for the recogniser (voicebot.asr.prompt)
    availability: AgentAvailability = NOBODY  # who can take a proactive hand-over now
    hours: CallingHours | None = None  # calling hours: callback times are said as booked (None = delays only)
    clock: Callable[[], float] = time.time
    default_timezone: str = "Asia/Shanghai"
    callback_min_delay_s: float = 1800.0
    survey_after: frozenset[str] = frozenset()  # hang-up reasons followed by the CSAT question (empty = off)
    planner: CallbackPlanner | None = None
    asked_callback: CallbackTime | None = None  # the time the customer asked for
    next_callback: CallbackTime | None = None  # what the next schedule_callback books (and {follow_up} says)
    surveying: str = ""  # hang-up reason held while the survey question is answered
    survey_asked_again: bool = False
    hear_by_sound: bool = True  # dialogue.hear_by_sound
    started: bool = False  # the call was answered and the plan began (set-up alone may precede it)
    faq: FaqResponder | None = None  # the plan's knowledge base (faq.py)
    hearing: CallHearing = field(init=False)

    def __post_init__(self) -> None:
        self.hearing = CallHearing(self.plan, self.hear_by_sound)

    # --- set-up -------------------------------------------------------------------
    def start(self, call: CallInfo) -> list[Action]:
        self._setup(call)
        self.started = True
        log.info("plan_call_started", plan=self.plan.name, segment=self.record.segment, offer=self.record.offer,
                 variant=self.record.variant)
        return self._enter(self.plan.spec.start)

    def lines_to_prerender(self, call: CallInfo) -> list[str]:
        """This customer's opening and pitch, rendered: the session synthesises them while the phone rings."""
        self._setup(call)
        return [self.values[k] for k in ("script_opening", "script_pitch") if self.values.get(k)]

    # --- helpers ------------------------------------------------------------------
    def _text(self, prompt: Prompt) -> str:
        template = pick_variant(prompt, self.variants)
        if not self.addressable:
            template = drop_address(template)
        if "{script_pitch}" in template:
            self.record.pitch_delivered = self.tracker.pitch_delivered = True
        text = render(template, self.values)
        # A line may open with a field ("{product} costs …" with product "the AirPure 3").
        return capitalize_first(text)

    def _enter(self, name: str) -> list[Action]:
        st = self.plan.spec.states[name]
        self.state = name
        self.retries_used = 0
        self.record.final_state = name
        self.record.set_grade(st.grade)
        self._prepare(st.actions)
        out: list[Action] = [Say(self._text(st.say))] if st.say is not None else []
        if self._no_callback_possible() and any(isinstance(a, CallbackAction) for a in st.actions):
            out = [Say(no_callback_line(self.plan.locale))]  # its line would promise a call nobody makes
        for spec in st.actions:
            out += self._do(spec)
        return out

    def _do(self, spec: ActionSpec) -> list[Action]:
        if isinstance(spec, SayAction):
            return [Say(self._text(spec.text))]
        if isinstance(spec, TransferAction):
            return self._transfer(spec.reason, spec.mode, spec.target)
        if isinstance(spec, CallbackAction):
            if self._no_callback_possible():
                self.record.tag("callback_unavailable")
                return []
            self.record.tag("callback")
            delay = spec.delay_s if spec.delay_s is not None else self.strategy.follow_up_s
            return [self._callback_action(delay, spec.note or f"follow-up ({self.record.segment})")]
        if isinstance(spec, TagAction):
            self.record.tag(*spec.tags)
            return [Tag(tuple(spec.tags))]
        if isinstance(spec, OfferAction):
            self.record.tag("offer_sent")
            return [SendOffer(spec.offer or self.record.offer)]
        if isinstance(spec, HangUpAction):
            question = self._survey_first(spec.reason)
            if question is not None:
                return question
            self.done = True
            self.record.hangup_reason = spec.reason
            return [HangUp(spec.reason)]
        raise TypeError(f"unhandled action {spec!r}")

    def _no_match(self, no_input: bool) -> list[Action]:
        st = self.plan.spec.states[self.state]
        limit = st.retries if st.retries is not None else self.plan.spec.retries
        self.retries_used += 1
        if self.retries_used > limit:
            target = st.on_exhausted or self.plan.spec.on_exhausted
            log.info("retries_exhausted", state=self.state, goto=target)
            return self._enter(target)
        prompt = (st.no_input or self.plan.spec.no_input) if no_input else (st.no_match or self.plan.spec.no_match)
        out: list[Action] = [Say(self._text(prompt))]
        if st.say is not None:
            out.append(Say(self._text(st.say)))
        return out

    def _apply(self, intent: str, t: Transition) -> list[Action]:
        self.record.set_grade(INTENT_GRADES.get(intent))
        self.record.set_grade(t.grade)
        self._prepare(t.actions)
        out: list[Action] = [Say(self._text(t.say))] if t.say is not None else []
        for spec in t.actions:
            out += self._do(spec)
        if self.done or self.transferring or self.surveying:
            return out
        if t.goto:
            return out + self._enter(t.goto)
        self.retries_used = 0
        st = self.plan.spec.states[self.state]
        if t.reprompt and st.say is not None:
            out.append(Say(self._text(st.ask) if st.ask is not None else question_of(self._text(st.say))))
        return out

    def expected_answers(self, wide: bool = False, closed_only: bool = False) -> tuple[ExpectedAnswer, ...]:
        """The short answers this point of the call expects (call_hearing.py)."""
        if self.record is None or self.done:
            return ()
        return self.hearing.expected(self._mode(), self.state, wide, closed_only)

    def _mode(self) -> str:
        return "survey" if self.surveying else "confirm" if self.confirm.waiting else self.state

    def _hear(self, text: str) -> str:
        return self.hearing.hear(text, self._mode(), self.state, self.record)

    # --- the Dialogue interface -------------------------------------------------------
    def on_user_turn(self, turn: UserTurn) -> list[Action]:
        if self.done or self.transferring:
            return []
        if self.surveying:
            return self._survey_heard(turn.text.strip())
        self.record.turns += 1
        emotion = turn.emotion.label if turn.emotion is not None else ""
        self.record.emotions.append(emotion)
        text = self._hear(turn.text.strip())
        by_sound = turn.by_sound or text != turn.text.strip()
        result, intent = self._classify(text)
        if turn.fallback_text and not self.confirm.waiting and not self._handles(intent):
            text, by_sound = self._fallback(text, turn.fallback_text)
            result, intent = self._classify(text)
        if not self.human_confirmed:
            machine = self._answering_machine(turn, text, intent)
            if machine is not None:
                return self._voicemail(machine)
        if text:
            self.heard.append(text)
        if self.confirm.waiting:  # the answer to "did you mean ...?": yes acts, no goes on
            out = self.confirm.on_answer(intent, text, self._apply, self._question_again)
            if out is not None:
                return out
        intent = self._callback_time_heard(text, intent)
        return self._respond(intent, text, emotion, result, turn, by_sound)

    def _handles(self, intent: str) -> bool:
        own, others = handled_intents(self.plan.spec, self.state)
        return intent in own or intent in others

    def _fallback(self, heard: str, fallback: str) -> tuple[str, bool]:
        """The words meant nothing the state handles: the expected answer the sound fits best instead."""
        log.info("heard_as", heard=heard, taken_as=fallback, label="", distance=None, state=self.state, by="fallback")
        self.record.heard_as.append({"heard": heard, "taken_as": fallback, "distance": None})
        self.record.intents.pop()  # the free decode's intent: the turn is classified once more
        return fallback, True

    def _classify(self, text: str) -> tuple[IntentResult | None, str]:
        """The turn's parse (None for no words) and intent, kept in the outcome and logged with its runners-up."""
        result = self.nlu.parse(text) if text else None
        intent = result.intent if result else UNHEARD
        self.record.intents.append(intent)
        log.info("intent", text=text, intent=intent, confidence=round(result.confidence, 3) if result else 0.0,
                 state=self.state, ranking=list(result.ranking[:3]) if result else [])
        return result, intent

    def _answering_machine(self, turn: UserTurn, text: str, intent: str) -> str | None:
        """Why this turn is an answering machine's, or None (and then, maybe, the callee is a person)."""
        verdict = self.amd.check_turn(text, turn.start_s, turn.end_s, intent not in (OUT_OF_SCOPE, UNHEARD),
                                      first=self.record.turns == 1)
        if verdict.machine:
            return verdict.reason
        # A machine never answers a question: once the callee says more than hello, it is a person.
        self.human_confirmed = intent not in (OUT_OF_SCOPE, UNHEARD, "greet")
        return None

    def _transition(self, intent: str) -> Transition | None:
        """The current state's transition for an intent, else the plan's global one."""
        return self.plan.spec.states[self.state].on.get(intent) or self.plan.spec.global_.get(intent)

    def _respond(self, intent: str, text: str, emotion: str, result: IntentResult | None, turn: UserTurn,
                 by_sound: bool) -> list[Action]:
        """A person's understood turn: escalation rules first, then an FAQ answer, the plan's transition
        (asked back first when in doubt), or the no-match line."""
        t = self._transition(intent) if intent not in (OUT_OF_SCOPE, UNHEARD, FAQ_INTENT) else None
        faq = self.faq.reply(text, intent) if self.faq is not None and t is None else None
        tracked = OUT_OF_SCOPE if intent == FAQ_INTENT and not (faq and faq.answered) else intent
        reason = self.tracker.on_turn(tracked if tracked != UNHEARD else "", emotion,
                                      t is not None or bool(faq and faq.answered))
        if reason:
            return self._escalate(reason)
        if faq is not None:
            return self._faq_answer(faq)
        if t is None:
            return self._no_match(no_input=False)
        doubt = self.confirm.doubt(intent, t, result, turn, by_sound)
        if doubt is not None:
            return self.confirm.ask(intent, t, self.state, text, doubt)
        return self._apply(intent, t)

    def _faq_answer(self, reply: FaqReply) -> list[Action]:
        """Answer (or politely decline) a question off the script, then ask the state's question again."""
        self.record.faq_turn(reply.entry_id, reply.question, reply.answered)
        return [Say(reply.text), *self._question_again()]

    def _question_again(self) -> list[Action]:
        st = self.plan.spec.states[self.state]
        return [Say(self._text(st.say))] if st.say is not None else []

    def _voicemail(self, reason: str) -> list[Action]:
        log.info("answering_machine", reason=reason, plan=self.plan.name)
        self.done = True
        rec = self.record
        rec.answered_by = "voicemail"
        rec.grade = None
        rec.final_state = "voicemail"
        rec.hangup_reason = "voicemail"
        rec.tag("voicemail")
        msg = self.plan.spec.voicemail.message
        return ([Say(self._text(msg), interruptible=False)] if msg else []) + [HangUp("voicemail")]

    def on_dtmf(self, digit: str) -> list[Action]:
        if self.done or self.transferring:
            return []
        if self.surveying:
            return self._survey_key(digit)
        if digit == "0":
            return self._escalate("the customer pressed 0 for a person")
        return []

    def on_no_input(self) -> list[Action]:
        if self.done or self.transferring:
            return []
        if self.confirm.waiting:  # silence after "did you mean ...?": asked once more, then taken as a no
            return self.confirm.on_answer("unheard", "", self._apply, self._question_again) or []
        if self.surveying:
            return self._survey_answer(None)
        reason = self.tracker.on_no_input()
        if reason:
            return self._escalate(reason)
        return self._no_match(no_input=True)

    def outcome(self) -> dict[str, Any]:
        # A call never answered has no conversation outcome (its lines may have been prepared while it rang).
        return self.record.as_dict() if self.record and self.started else {"plan": self.plan.name, "turns": 0}


def question_of(text: str) -> str:
    """The question a state's line ends with, to ask again: "Thank you! … Do you have one minute?" ->
    "Do you have one minute?". The whole line when it is one sentence or does not end in a question."""
    sentences = split_sentences(text.strip())  # the speech renderer's sentences (not after "Mr.")
    if len(sentences) > 1 and sentences[-1].endswith(("？", "?")):
        return sentences[-1]
    return text
