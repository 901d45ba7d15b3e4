"""The one place that decides whether a customer may be called now: do-not-call, calling hours,
frequency cap.

Every outbound call to a customer asks ``ComplianceGate.may_call`` first:

* campaign workers, for first attempts, retries and callbacks alike (voicebot.campaign.worker),
  whatever dialer places the call (the voice loop, the text dialer, the simulator);
* ``VoicebotServer.place_call`` (the voice dialer and ``voicebot call``), for any URI whose user
  part is a phone number, unless it carries the worker's fresh Decision for that same number;
* supervisor call-outs (voicebot.supervisor.phone): a call to a supervisor's own phone is not a
  customer call. A supervisor's phone is one listed as a console user's ``phone`` or in
  ``phone_supervision.supervisor_phones``, or a named SIP account (sip:boss@pbx): customers are
  reached by number. Any other number is asked about here like any customer.

A refusal is logged (``call_refused`` with the path and reason; the number masked by the logs).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import redis

from voicebot.campaign import keys
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.phones import PhoneError, normalise_phone
from voicebot.campaign.scheduler import CallingRules
from voicebot.config import CampaignConfig
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

log = get_logger("voicebot.compliance")

Reason = Literal["allowed", "do_not_call", "outside_hours", "frequency_cap"]
# How long a worker's Decision vouches for the call it places (the dial follows within a second).
DECISION_VALID_S = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    phone: str  # E.164
    at: float  # when it was decided (epoch seconds)
    retry_at: float | None = None  # the earliest time the call would be allowed (None: never / now)
    # Wall time, not ``at``: campaign clocks may be simulated, the dial that follows is not.
    issued: float = field(default_factory=time.monotonic, compare=False)

    def vouches_for(self, phone: str) -> bool:
        return self.allowed and self.phone == phone and 0 <= time.monotonic() - self.issued <= DECISION_VALID_S


class CallRefused(VoicebotError):
    def __init__(self, decision: Decision) -> None:
        super().__init__(f"call to a customer refused: {decision.reason}")
        self.decision = decision


class ComplianceGate:
    def __init__(self, client: redis.Redis, cfg: CampaignConfig) -> None:
        self.client, self.cfg = client, cfg
        self.dnc = DoNotCallList(client)

    def may_call(self, phone: str, now: float, *, path: str, kind: str = "first",
                 rules: CallingRules | None = None, timezone: str | None = None,
                 window: tuple[int, int] | None = None, campaign: str = "") -> Decision:
        """Do-not-call first (never allowed), then calling hours in the customer's zone, then the
        frequency cap (``max_calls_per_day`` for every kind; ``freq_cap_*`` except for callbacks the
        customer asked for)."""
        rules = rules or CallingRules.from_config(self.cfg)
        if self.dnc.contains(phone):
            decision = Decision(False, "do_not_call", phone, now)
        elif not rules.is_allowed(now, timezone):
            decision = Decision(False, "outside_hours", phone, now, rules.next_allowed(now, timezone, window))
        elif (free_at := self._frequency_cap_free_at(phone, now, kind)) is not None:
            decision = Decision(False, "frequency_cap", phone, now, rules.next_allowed(free_at, timezone, window))
        else:
            return Decision(True, "allowed", phone, now)
        log.info("call_refused", phone=phone, reason=decision.reason, path=path, kind=kind, campaign=campaign,
                 retry_at=round(decision.retry_at) if decision.retry_at else None)
        return decision

    def _frequency_cap_free_at(self, phone: str, now: float, kind: str) -> float | None:
        """When this number may be called again, or None for now."""
        caps = [(86400.0, self.cfg.max_calls_per_day)]
        if kind != "callback" and self.cfg.freq_cap_calls > 0:
            caps.append((self.cfg.freq_cap_days * 86400, self.cfg.freq_cap_calls))
        longest = max(w for w, _ in caps)
        # Exclusive lower bound: a call exactly one window ago no longer counts.
        recent = self.client.zrangebyscore(keys.number_calls(phone), f"({now - longest}", "+inf", withscores=True)
        free = [scores[-limit] + window for window, limit in caps
                if len(scores := [t for _, t in recent if t > now - window]) >= limit]
        return max(free) if free else None


_URI_USER = re.compile(r"^(?:sips?:|tel:)?(?P<user>[^@;>]+)")


def is_supervisor_phone(uri: str, supervisor_phones: list[str]) -> bool:
    """A console user's or listed supervisor phone (same URI, or same number), or a named account."""
    number = customer_number(uri)
    return number is None or uri in supervisor_phones or number in {customer_number(p) for p in supervisor_phones}


def customer_number(uri: str, region: str = "CN") -> str | None:
    """The E.164 number a URI dials, or None for a named account or short extension (staff)."""
    m = _URI_USER.match(uri.strip().lstrip("<"))
    if not m:
        return None
    user = m.group("user")
    if sum(c.isdigit() for c in user) < 7 or re.search(r"[A-Za-z]", user):
        return None
    try:
        return normalise_phone(user, region)
    except PhoneError:
        return None


def check_customer_call(client_factory: Callable[[], redis.Redis], cfg: CampaignConfig, uri: str, *, path: str,
                        cleared: Decision | None = None, now: float | None = None) -> Decision | None:
    """For calls placed outside a campaign worker: None when ``uri`` is not a customer's number,
    else the gate's decision (or the worker's own, when it vouches for this number). Raises
    ``CallRefused`` when the call may not be placed."""
    phone = customer_number(uri)
    if phone is None:
        return None
    now = time.time() if now is None else now
    if cleared is not None and cleared.vouches_for(phone):
        return cleared
    decision = ComplianceGate(client_factory(), cfg).may_call(phone, now, path=path)
    if not decision.allowed:
        raise CallRefused(decision)
    return decision
