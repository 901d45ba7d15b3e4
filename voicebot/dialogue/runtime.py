"""A dialplan running one call: a state machine driven by recognised intents.

Each callee turn: answering-machine check (first turn) -> intent -> escalation rules -> the state's
(or the plan's global) transition for that intent -> actions. Not understood -> the state's
no-match line, and after `retries` the plan's `on_exhausted` state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from voicebot.dialogue import survey
from voicebot.dialogue.agents import NOBODY, AgentAvailability
from voicebot.dialogue.amd import AnsweringMachineDetector
from voicebot.dialogue.callback_request import is_question, only_a_time
from voicebot.dialogue.callback_time import CallbackPlanner, CallbackTime, CallingHours, hours_now, no_callback_line
from voicebot.dialogue.base import (
    Action, CallInfo, HangUp, Say, ScheduleCallback, SendOffer, Tag, Transfer, UserTurn,
)
from voicebot.dialogue.confirm import ConfirmGate, ConfirmPolicy
from voicebot.dialogue.escalation import EscalationTracker
from voicebot.dialogue.call_hearing import CallHearing
from voicebot.dialogue.expected import ExpectedAnswer
from voicebot.dialogue.faq import FaqReply, FaqResponder
from voicebot.dialogue.instructions import ASK_CALLBACK_LINE, ORDER_INTENT, WRAP_UP_LINE, Order, understand
from voicebot.dialogue.instructions import line as instruction_line
from voicebot.dialogue.nlu.base import FAQ_INTENT, OUT_OF_SCOPE, IntentClassifier
from voicebot.dialogue.outcome import INTENT_GRADES, OutcomeRecord
from voicebot.dialogue.personalize import customer_values
from voicebot.dialogue.plan import Dialplan
from voicebot.dialogue.plan.schema import (
    ActionSpec, CallbackAction, HangUpAction, OfferAction, Prompt, SayAction, SegmentStrategy, TagAction,
    TransferAction, Transition,
)
from voicebot.dialogue.plan.templates import pick_variant, render
from voicebot.dialogue.plan.variants import plan_segment, script_lines
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.plan")
UNHEARD = "unheard"  # speech with no words recognised
EMOTION_WORDS = {
    "en-US": {"neutral": "calm", "positive": "positive", "agitated": "agitated", "withdrawn": "withdrawn", "": "calm"},
    "zh-CN": {"neutral": "平静", "positive": "积极", "agitated": "激动", "withdrawn": "冷淡", "": "平静"},
}


@dataclass
class PlanDialogue:
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

    def _setup(self, call: CallInfo) -> None:
        if self.record is not None:
            return
        spec = self.plan.spec
        self.call = call
        customer = call.customer or {}
        segment = str(customer.get("segment") or "default")
        planned_as = plan_segment(spec, segment, str(customer.get("strategy") or ""))
        if planned_as != segment:
            log.info("segment_planned_as", segment=segment, plan=spec.name, planned_as=planned_as)
        self.strategy = spec.segments[planned_as]
        offer_key = str(customer.get("offer") or "")
        if offer_key not in spec.offers:
            offer_key = self.strategy.offer
        script_variant = str(customer.get("script_variant") or "")
        self.variants = (script_variant, script_variant.split("-")[0], self.strategy.variant)
        self.values = {**spec.variables}
        for key in spec.variables:
            if customer.get(key) not in (None, ""):
                self.values[key] = customer[key]
        self.values.update(
            offer=spec.offers.get(offer_key, ""), follow_up=self.strategy.follow_up, segment=segment,
            segment_label=self.strategy.label or segment.replace("_", " "), phone=customer.get("phone", ""))
        for key in ("name", "product", "company"):
            self.values.setdefault(key, customer.get(key, ""))
        self.values.update(customer_values(customer, spec.locale, date.fromtimestamp(self.clock())))
        self.values["salutation"] = self.values["salutation"] or self.values.get("name", "")
        declared, lines = script_lines(spec, planned_as, script_variant, self.values)
        if script_variant and declared and declared != script_variant:
            log.warning("script_variant_not_in_plan", requested=script_variant, spoken=declared, segment=segment)
        self.values.update(lines)
        self.record = OutcomeRecord(spec.name, segment, offer=offer_key,
                                    variant=declared or next((v for v in self.variants if v), "default"))
        complex_intents = frozenset(n for n, i in spec.intents.items() if i.complex)
        self.tracker = EscalationTracker(spec.escalation, complex_intents, planned_as,
                                         agent_available=self.availability.available)
        self.confirm = ConfirmGate(spec, self.confirm_policy, self.record, self._text, lambda: self.state)
        if self.hours is not None:
            left = customer.get("callbacks_left")
            self.planner = CallbackPlanner(spec.locale, str(customer.get("timezone") or self.default_timezone),
                                           hours_now(self.hours, customer.get("calling_hours_start"),
                                                     customer.get("calling_hours_end")),
                                           self.clock, self.callback_min_delay_s,
                                           float(customer.get("callback_not_before") or 0.0),
                                           None if left in (None, "") else int(left))
            self._plan_callback(self.strategy.follow_up_s)

    # --- helpers ------------------------------------------------------------------
    def _text(self, prompt: Prompt) -> str:
        template = pick_variant(prompt, self.variants)
        if "{script_pitch}" in template:
            self.record.pitch_delivered = self.tracker.pitch_delivered = True
        return render(template, self.values)

    def _plan_callback(self, delay_s: float | None) -> None:
        """Fixes the next callback's time before any line says it: the customer's, else the default."""
        if self.planner is None:
            return
        if self.planner.exhausted:
            self.next_callback = None  # nothing to promise: _enter and _no_agent say so honestly
        elif self.asked_callback is not None:
            self.next_callback = self.asked_callback
        elif delay_s is not None:
            self.next_callback = self.planner.default(delay_s)
        if self.next_callback is not None:
            self.values["follow_up"] = self.next_callback.said

    def _no_callback_possible(self) -> bool:
        return self.planner is not None and self.planner.exhausted

    def _callback_action(self, delay_s: float, note: str) -> ScheduleCallback:
        if self.planner is None or self.next_callback is None:
            return ScheduleCallback(delay_s=delay_s, note=note)
        self.record.callback_at = self.next_callback.at.isoformat()
        return ScheduleCallback(at=self.next_callback.at, note=note)

    def _prepare(self, actions: list[ActionSpec]) -> None:
        for a in actions:
            if isinstance(a, CallbackAction):
                self._plan_callback(a.delay_s if a.delay_s is not None else self.strategy.follow_up_s)

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
            if spec.reason in self.survey_after and not self.surveying:
                self.surveying = spec.reason  # ask first; the hang-up follows the answer
                self.record.hangup_reason = spec.reason
                return [Say(survey.QUESTION[self.plan.locale])]
            self.done = True
            self.record.hangup_reason = spec.reason
            return [HangUp(spec.reason)]
        raise TypeError(f"unhandled action {spec!r}")

    def _summary(self, reason: str) -> str:
        locale = self.plan.locale
        emotions = [e for e in self.record.emotions if e]
        emotion = EMOTION_WORDS[locale].get(emotions[-1] if emotions else "", emotions[-1] if emotions else "")
        sep = "；" if locale.startswith("zh") else "; "
        asked = sep.join(self.heard[-3:]) or ("无" if locale.startswith("zh") else "nothing yet")
        values = {**self.values, "segment": self.values["segment_label"], "asked": asked, "emotion": emotion,
                  "reason": reason, "intents": ", ".join(self.record.intents[-3:])}
        return render(self.plan.spec.escalation.summary, values)

    def _transfer(self, reason: str, mode: str | None = None, target: str = "") -> list[Action]:
        rules = self.plan.spec.escalation
        target = target or rules.agent or self.agent_uri
        self.record.transfer_reason = reason
        if not target:
            log.info("transfer_without_agent", reason=reason)
            return self._no_agent(reason)
        self.transferring = True
        self.record.final_state = "transferring"
        return [Transfer(target, mode or rules.mode, self._summary(reason), reason)]

    def _no_agent(self, reason: str) -> list[Action]:
        rules = self.plan.spec.escalation
        if self.plan.spec.transfer_failed:
            return self._enter(self.plan.spec.transfer_failed)
        self.done = True
        self.record.hangup_reason = "no_agent"
        if self._no_callback_possible():
            self.record.tag("callback_unavailable")
            self.record.final_state = "no_agent"
            return [Say(no_callback_line(self.plan.locale, after_transfer=True)), HangUp("no_agent")]
        self.record.tag("callback")
        self.record.final_state = "callback_after_failed_transfer"
        self._plan_callback(rules.callback_delay_s)
        return [Say(self._text(rules.no_agent)), self._callback_action(rules.callback_delay_s, f"agent callback: {reason}"),
                HangUp("no_agent")]

    def _escalate(self, reason: str) -> list[Action]:
        log.info("escalation", reason=reason, plan=self.plan.name, state=self.state, segment=self.record.segment,
                 intents=self.record.intents[-3:], emotions=self.record.emotions[-3:])
        self.record.escalation = reason
        self.record.tag("escalated")
        return [Say(self._text(self.plan.spec.escalation.say)), *self._transfer(reason)]

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
            out.append(Say(self._text(st.say)))
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
        rec = self.record
        rec.turns += 1
        emotion = turn.emotion.label if turn.emotion is not None else ""
        rec.emotions.append(emotion)
        text = self._hear(turn.text.strip())
        by_sound = text != turn.text.strip()
        result = self.nlu.parse(text) if text else None
        intent = result.intent if result else UNHEARD
        rec.intents.append(intent)
        log.info("intent", text=text, intent=intent, confidence=round(result.confidence, 3) if result else 0.0,
                 state=self.state, ranking=list(result.ranking[:3]) if result else [])
        if not self.human_confirmed:
            verdict = self.amd.check_turn(text, turn.start_s, turn.end_s, intent not in (OUT_OF_SCOPE, UNHEARD),
                                          first=rec.turns == 1)
            if verdict.machine:
                return self._voicemail(verdict.reason)
            # A machine never answers a question: once the callee says more than hello, it is a person.
            self.human_confirmed = intent not in (OUT_OF_SCOPE, UNHEARD, "greet")
        if text:
            self.heard.append(text)
        if self.confirm.waiting:  # the answer to "did you mean ...?": yes acts, no goes on
            out = self.confirm.on_answer(intent, text, self._apply, self._question_again)
            if out is not None:
                return out
        spec = self.plan.spec
        # A time inside a question or small talk ("明天会下雨吗") is no request to be called back.
        heard = self.planner is not None and bool(text) and not is_question(text) and self.planner.heard_time(text)
        asked = self.planner.asked(text) if heard else None
        if asked is not None:
            self.asked_callback = asked  # said and booked as this one value from now on
            self._plan_callback(None)
        if heard:
            if intent in (OUT_OF_SCOPE, UNHEARD) and "busy_call_later" in spec.intents and only_a_time(text):
                intent = rec.intents[-1] = "busy_call_later"  # "明天下午吧": a time alone asks for a callback
        t = None
        if intent not in (OUT_OF_SCOPE, UNHEARD, FAQ_INTENT):
            t = spec.states[self.state].on.get(intent) or spec.global_.get(intent)
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

    def _survey_heard(self, text: str) -> list[Action]:
        score = survey.score_from_speech(text, self.plan.locale) if text else None
        if score is None and text:
            heard = self._hear(text)
            score = survey.score_from_speech(heard, self.plan.locale) if heard != text else None
        return self._survey_answer(score)

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

    def on_dtmf(self, digit: str) -> list[Action]:
        if self.done or self.transferring:
            return []
        if self.surveying:
            return self._survey_answer(survey.score_from_dtmf(digit))
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

    def on_transfer_result(self, ok: bool, detail: str = "") -> list[Action]:
        self.transferring = False
        if ok:
            self.done = True
            self.record.final_state = "transferred"
            self.record.tag("transferred")
            return []
        log.info("transfer_failed", detail=detail, reason=self.record.transfer_reason)
        return self._no_agent(self.record.transfer_reason or detail)

    def on_instruction(self, text: str) -> list[Action]:
        """A supervisor's order (typed or spoken, instructions.py), carried out with the plan's own lines."""
        if self.done or self.transferring or self.record is None:
            return []
        order = understand(text)
        log.info("supervisor_order", text=text, order=order, state=self.state)
        if order is None:
            return []
        if order is Order.TRANSFER:
            return self._escalate("supervisor instruction")
        if order is Order.HANG_UP:
            self.done = True
            self.record.hangup_reason = "supervisor"
            return [HangUp("supervisor")]
        if order is Order.ASK_CALLBACK:  # the customer's answer is booked by on_user_turn's callback planner
            return [Say(instruction_line(ASK_CALLBACK_LINE, self.plan.locale))]
        intent = ORDER_INTENT[order]
        t = self.plan.spec.states[self.state].on.get(intent) or self.plan.spec.global_.get(intent)
        if t is not None:
            return self._apply(intent, t)
        if order is Order.WRAP_UP:  # a plan without a goodbye: a polite line of ours, then hang up
            self.done = True
            self.record.hangup_reason = "supervisor_wrap_up"
            return [Say(instruction_line(WRAP_UP_LINE, self.plan.locale)), HangUp("supervisor_wrap_up")]
        log.info("supervisor_order_not_in_plan", order=order, intent=intent, plan=self.plan.name)
        return []

    def outcome(self) -> dict[str, Any]:
        # A call never answered has no conversation outcome (its lines may have been prepared while it rang).
        return self.record.as_dict() if self.record and self.started else {"plan": self.plan.name, "turns": 0}
