"""The one place that decides whether a customer may be called now: do-not-call, calling hours,
frequency cap.

Every outbound call to a customer asks ``ComplianceGate.may_call`` first:

* campaign workers, for first attempts, retries and callbacks alike (voicebot.campaign.worker),
  whatever dialer places the call (the voice loop, the text dialer, the simulator);
* ``VoicebotServer.place_call`` (the voice dialer and ``voicebot call``), unless it carries the
  worker's fresh Decision for that same number;
* supervisor call-outs (voicebot.supervisor.phone) and transfers to external numbers
  (voicebot.session.transfer).

The target is first reduced to one canonical number by ``voicebot.dial_identity`` (any URI
spelling). Only staff destinations bypass the gate: the numbers in ``campaign.staff_numbers``,
console users' ``phone``, ``phone_supervision.supervisor_phones`` and ``dialogue.agent_uri``, and
the named accounts in ``campaign.staff_accounts`` (the allow-list for names, empty by default). A
named destination with no phone number in it (``sip:boss@pbx``) that no setting declares staff is
refused: a PBX may route any name to anyone. Hours are checked in the
number's own time zone when the call carries none.

The frequency cap is one record per number across all campaigns (``keys.number_calls``): a Lua
script checks it and records the call in one step, so concurrent campaigns cannot both pass. A
call that turns out not to be a conversation (no answer, busy, voicemail) is released again.

A refusal is logged (``call_refused`` with the path and reason; the number masked by the logs).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import redis

from voicebot.calling_hours import CallingRules
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.phones import timezone_for
from voicebot.config import CampaignConfig
from voicebot.dial_identity import DialIdentity, StaffList, customer_number, dial_identity
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger
from voicebot.store import keys

__all__ = ["CallRefused", "ComplianceGate", "Decision", "check_customer_call", "customer_number", "release_call",
           "staff_destinations"]

log = get_logger("voicebot.compliance")

Reason = Literal["allowed", "do_not_call", "outside_hours", "frequency_cap", "unparseable_number",
                 "unlisted_account"]
# How long a worker's Decision vouches for the call it places (the dial follows within a second).
DECISION_VALID_S = 60.0

# Check every cap window and record the call in one step. KEYS[1]: the number's calls (zset,
# member -> when). ARGV: now, member, ttl, then window/limit pairs. Returns nil when recorded, else
# the time the number is free again. A call exactly one window ago no longer counts.
_CAP_SCRIPT = """
local now = tonumber(ARGV[1])
local free = nil
for i = 4, #ARGV, 2 do
  local window, limit = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local recent = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES')
  local count = #recent / 2
  if count >= limit then
    local at = tonumber(recent[2 * (count - limit + 1)]) + window
    if free == nil or at > free then free = at end
  end
end
if free ~= nil then return tostring(free) end
if ARGV[2] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return nil
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    phone: str  # E.164
    at: float  # when it was decided (epoch seconds)
    retry_at: float | None = None  # the earliest time the call would be allowed (None: never / now)
    # Wall time, not ``at``: campaign clocks may be simulated, the dial that follows is not.
    issued: float = field(default_factory=time.monotonic, compare=False)
    hold: str = ""  # the cap record this call holds (release_call frees it if no conversation)

    def vouches_for(self, phone: str) -> bool:
        return self.allowed and self.phone == phone and 0 <= time.monotonic() - self.issued <= DECISION_VALID_S


class CallRefused(VoicebotError):
    def __init__(self, decision: Decision, detail: str = "") -> None:
        super().__init__(f"call to a customer refused: {decision.reason}" + (f" ({detail})" if detail else ""))
        self.decision = decision


class ComplianceGate:
    def __init__(self, client: redis.Redis, cfg: CampaignConfig) -> None:
        self.client, self.cfg = client, cfg
        self.dnc = DoNotCallList(client)
        self._cap = client.register_script(_CAP_SCRIPT)

    def may_call(self, phone: str, now: float, *, path: str, kind: str = "first",
                 rules: CallingRules | None = None, timezone: str | None = None,
                 window: tuple[int, int] | None = None, campaign: str = "", hold: str | None = None,
                 also: tuple[str, ...] = (), avoid: tuple[int, int] | None = None) -> Decision:
        """Do-not-call first (never allowed; ``also``: other readings of the same dial string),
        then calling hours in the customer's zone (the number's own zone when none is given), then
        the frequency cap (``max_calls_per_day`` for every kind; ``freq_cap_*`` except for callbacks
        the customer asked for). With ``hold`` (a unique id for this call) an allowed call is
        recorded in the cap in the same atomic step."""
        rules = rules or CallingRules.from_config(self.cfg)
        timezone = timezone or timezone_for(phone)
        if any(self.dnc.contains(p) for p in dict.fromkeys((phone, *also))):
            decision = Decision(False, "do_not_call", phone, now)
        elif not rules.is_allowed(now, timezone, avoid if kind != "callback" else None):
            decision = Decision(False, "outside_hours", phone, now, rules.next_allowed(now, timezone, window, avoid))
        elif (free_at := self._cap_check(phone, now, kind, hold or "")) is not None:
            decision = Decision(False, "frequency_cap", phone, now, rules.next_allowed(free_at, timezone, window, avoid))
        else:
            return Decision(True, "allowed", phone, now, hold=hold or "")
        log.info("call_refused", phone=phone, reason=decision.reason, path=path, kind=kind, campaign=campaign,
                 retry_at=round(decision.retry_at) if decision.retry_at else None)
        return decision

    def _caps(self, kind: str) -> list[tuple[float, int]]:
        caps = [(86400.0, self.cfg.max_calls_per_day)]
        if kind != "callback" and self.cfg.freq_cap_calls > 0:
            caps.append((self.cfg.freq_cap_days * 86400, self.cfg.freq_cap_calls))
        return caps

    def _cap_check(self, phone: str, now: float, kind: str, hold: str) -> float | None:
        """When this number may be called again, or None for now (and then ``hold`` is recorded)."""
        caps = self._caps(kind)
        ttl = int(max(w for w, _ in caps)) + 86400
        args: list[str | float | int] = [repr(float(now)), hold, ttl]
        for window, limit in caps:
            args += [repr(float(window)), limit]
        free = self._cap(keys=[keys.number_calls(phone)], args=args)
        return None if free is None else float(free)

    def release(self, phone: str, hold: str, pipe: redis.client.Pipeline | None = None) -> None:
        """The held call was no conversation (refused later, no answer, busy, voicemail)."""
        if hold:
            (pipe or self.client).zrem(keys.number_calls(phone), hold)


def release_call(client: redis.Redis, decision: Decision | None) -> None:
    if decision is not None and decision.allowed and decision.hold:
        client.zrem(keys.number_calls(decision.phone), decision.hold)


def staff_destinations(settings: Any) -> list[str]:
    """Staff destinations configured outside the campaign section: console users' phones,
    ``phone_supervision.supervisor_phones`` and the agent (``dialogue.agent_uri``), each declared
    staff by its setting. ``check_customer_call`` adds ``campaign.staff_numbers``/``staff_accounts``."""
    users = getattr(getattr(settings, "supervisor", None), "users", {}) or {}
    return [*(u.phone for u in users.values() if u.phone),
            *settings.phone_supervision.supervisor_phones,
            *([settings.dialogue.agent_uri] if settings.dialogue.agent_uri else [])]


def _refuse(decision: Decision, path: str, detail: str = "") -> CallRefused:
    log.info("call_refused", phone=decision.phone, reason=decision.reason, path=path)
    return CallRefused(decision, detail)


def check_customer_call(client_factory: Callable[[], redis.Redis], cfg: CampaignConfig, uri: str, *, path: str,
                        cleared: Decision | None = None, now: float | None = None,
                        staff: list[str] | tuple[str, ...] = ()) -> Decision | None:
    """For calls placed outside a campaign worker: None when ``uri`` is a staff destination (in
    ``staff``, ``cfg.staff_numbers`` or ``cfg.staff_accounts``), else the
    gate's decision (or the worker's own, when it vouches for this number). An allowed call is
    counted in the cap at once. Raises ``CallRefused`` when the call may not be placed, a named
    destination not on ``cfg.staff_accounts`` included."""
    ident: DialIdentity = dial_identity(uri)
    now = time.time() if now is None else now
    if StaffList.of([*cfg.staff_numbers, *cfg.staff_accounts, *staff]).covers(ident):
        return None
    if not ident.is_number:
        raise _refuse(Decision(False, "unlisted_account", uri, now), path,
                      f"{uri!r} is a named destination, not on campaign.staff_accounts")
    if ident.number is None:  # enough digits to be someone's number, but no valid reading: fail closed
        raise _refuse(Decision(False, "unparseable_number", ident.user, now), path)
    if cleared is not None and cleared.vouches_for(ident.number) and set(ident.readings) <= {ident.number}:
        return cleared
    decision = ComplianceGate(client_factory(), cfg).may_call(ident.number, now, path=path, also=ident.readings,
                                                               hold=f"{path}:{uuid.uuid4().hex}")
    if not decision.allowed:
        raise CallRefused(decision)
    return decision
