"""Setting a dialplan up for one customer: segment, offer, script variant, wording values, callback planner.

Mixed into ``PlanDialogue`` (runtime.py): done once per call, either when the call is answered or
earlier, while the phone rings, so the opening can be synthesised in advance.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from voicebot.dialogue.agents import AgentAvailability
from voicebot.dialogue.base import CallInfo
from voicebot.dialogue.callback_time import CallbackPlanner, CallingHours, hours_now
from voicebot.dialogue.confirm import ConfirmGate, ConfirmPolicy
from voicebot.dialogue.escalation import EscalationTracker
from voicebot.dialogue.outcome import OutcomeRecord
from voicebot.dialogue.personalize import customer_values
from voicebot.dialogue.plan import Dialplan
from voicebot.dialogue.plan.schema import Prompt, SegmentStrategy
from voicebot.dialogue.plan.variants import plan_segment, script_lines
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.plan")


class CallSetup:
    # State held by PlanDialogue (declared here for the reader and the type checker).
    plan: Dialplan
    call: CallInfo | None
    state: str
    values: dict[str, Any]
    addressable: bool
    variants: tuple[str, ...]
    strategy: SegmentStrategy | None
    record: OutcomeRecord | None
    tracker: EscalationTracker | None
    confirm_policy: ConfirmPolicy
    confirm: ConfirmGate | None
    availability: AgentAvailability
    hours: CallingHours | None
    clock: Callable[[], float]
    default_timezone: str
    callback_min_delay_s: float
    planner: CallbackPlanner | None

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
        self.values = self._wording_values(customer, segment, offer_key)
        declared, lines = script_lines(spec, planned_as, script_variant, self.values, self.addressable)
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
            self.planner = self._callback_planner(customer, self.hours)
            self._plan_callback(self.strategy.follow_up_s)

    def _wording_values(self, customer: dict[str, Any], segment: str, offer_key: str) -> dict[str, Any]:
        """What the plan's lines fill in: its variables (the customer's own where given), the offer and
        segment, and the customer's name, salutation and dates (personalize.py)."""
        spec = self.plan.spec
        values = {**spec.variables}
        for key in spec.variables:
            if customer.get(key) not in (None, ""):
                values[key] = customer[key]
        values.update(
            offer=spec.offers.get(offer_key, ""), follow_up=self.strategy.follow_up, segment=segment,
            segment_label=self.strategy.label or segment.replace("_", " "), phone=customer.get("phone", ""))
        for key in ("name", "product", "company"):
            values.setdefault(key, customer.get(key, ""))
        values.update(customer_values(customer, spec.locale, date.fromtimestamp(self.clock())))
        # Without a name the salutation is the plan's stand-in ("the account holder", 机主本人): fine in
        # "Am I speaking with …?", not as a form of address at the head of a line.
        self.addressable = bool(values["salutation"])
        values["salutation"] = values["salutation"] or values.get("name", "")
        return values

    def _callback_planner(self, customer: dict[str, Any], hours: CallingHours) -> CallbackPlanner:
        """This customer's callback times: their time zone and calling hours, and how many callbacks are left."""
        left = customer.get("callbacks_left")
        return CallbackPlanner(self.plan.spec.locale, str(customer.get("timezone") or self.default_timezone),
                               hours_now(hours, customer.get("calling_hours_start"), customer.get("calling_hours_end")),
                               self.clock, self.callback_min_delay_s, float(customer.get("callback_not_before") or 0.0),
                               None if left in (None, "") else int(left))

    if TYPE_CHECKING:  # defined by PlanDialogue and CallbackSteps; stubs here would shadow them at run time
        def _text(self, prompt: Prompt) -> str: ...
        def _plan_callback(self, delay_s: float | None) -> None: ...
