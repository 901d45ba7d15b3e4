"""Callback planning inside a dialplan call: which time the next callback books, and says.

Mixed into ``PlanDialogue`` (runtime.py). The time is fixed before any line mentions it ({follow_up}),
so what the bot promises is what the campaign books: the customer's own time if they said one,
else the segment's default delay; nothing when the customer's callbacks are used up.
"""

from __future__ import annotations

from typing import Any

from voicebot.dialogue.base import ScheduleCallback
from voicebot.dialogue.call_hearing import UNHEARD
from voicebot.dialogue.callback_request import is_question, only_a_time
from voicebot.dialogue.callback_time import CallbackPlanner, CallbackTime
from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.outcome import OutcomeRecord
from voicebot.dialogue.plan import Dialplan
from voicebot.dialogue.plan.schema import ActionSpec, CallbackAction, SegmentStrategy


class CallbackSteps:
    # State held by PlanDialogue (declared here for the reader and the type checker).
    plan: Dialplan
    values: dict[str, Any]
    strategy: SegmentStrategy | None
    record: OutcomeRecord | None
    planner: CallbackPlanner | None
    asked_callback: CallbackTime | None
    next_callback: CallbackTime | None

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

    def _callback_time_heard(self, text: str, intent: str) -> str:
        """Books a time the customer said for the callback; returns the turn's intent, which becomes
        busy_call_later when the turn was a time and nothing else ("明天下午吧")."""
        # A time inside a question or small talk ("明天会下雨吗") is no request to be called back.
        heard = self.planner is not None and bool(text) and not is_question(text) and self.planner.heard_time(text)
        if not heard:
            return intent
        asked = self.planner.asked(text)
        if asked is not None:
            self.asked_callback = asked  # said and booked as this one value from now on
            self._plan_callback(None)
        if intent in (OUT_OF_SCOPE, UNHEARD) and "busy_call_later" in self.plan.spec.intents and only_a_time(text):
            intent = self.record.intents[-1] = "busy_call_later"  # a time alone asks for a callback
        return intent
