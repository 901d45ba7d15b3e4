"""A supervisor's order to a dialplan call (typed or spoken; understood in instructions.py).

Mixed into ``PlanDialogue`` (runtime.py). An order is carried out with the plan's own lines: "offer the
discount" plays the current state's answer to a customer asking for one, "wrap up" the plan's goodbye.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicebot.dialogue.base import Action, HangUp, Say
from voicebot.dialogue.instructions import ASK_CALLBACK_LINE, ORDER_INTENT, WRAP_UP_LINE, Order, line as instruction_line, understand
from voicebot.dialogue.outcome import OutcomeRecord
from voicebot.dialogue.plan import Dialplan
from voicebot.dialogue.plan.schema import Transition
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.plan")


class SupervisorOrders:
    # State held by PlanDialogue (declared here for the reader and the type checker).
    plan: Dialplan
    state: str
    done: bool
    transferring: bool
    record: OutcomeRecord | None

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
        t = self._transition(intent)
        if t is not None:
            return self._apply(intent, t)
        if order is Order.WRAP_UP:  # a plan without a goodbye: a polite line of ours, then hang up
            self.done = True
            self.record.hangup_reason = "supervisor_wrap_up"
            return [Say(instruction_line(WRAP_UP_LINE, self.plan.locale)), HangUp("supervisor_wrap_up")]
        log.info("supervisor_order_not_in_plan", order=order, intent=intent, plan=self.plan.name)
        return []

    if TYPE_CHECKING:  # defined by PlanDialogue and HandoverSteps; stubs here would shadow them at run time
        def _escalate(self, reason: str) -> list[Action]: ...
        def _transition(self, intent: str) -> Transition | None: ...
        def _apply(self, intent: str, t: Transition) -> list[Action]: ...
