"""When a customer may be called, and what happens after each call.

Calls happen only inside local calling hours (customer's time zone) on non-holidays; the
customer's preferred window is tried first (within ``prefer_within_days``). Unanswered calls
are retried with back-off up to ``max_attempts``; invalid numbers never again; a callback the
customer asked for is placed at that time (moved into calling hours if needed), at most
``max_callbacks`` times; it may skip the multi-day frequency cap but never ``max_calls_per_day``
(the worker). The caps count calls a person answered, across campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from voicebot.calling_hours import CallingRules
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.config import CampaignConfig

# A customer's status after a call; one table, read by the worker, the report and the docs.
# In progress: planned, scheduled, retry (no answer yet, will call again), callback (asked for a later call).
FINAL_STATUSES = ("converted", "interested", "not_interested", "do_not_call", "wrong_number", "voicemail",
                  "unreachable")
Status = Literal["converted", "interested", "callback", "not_interested", "do_not_call", "wrong_number", "voicemail",
                 "unreachable", "retry"]
_WRONG_NUMBER_TAGS = {"wrong_number", "wrong_person", "not_the_customer"}


_REFUSED_TAGS = frozenset({"not_interested", "refused", "declined"})


@dataclass(frozen=True)
class NextStep:
    kind: Literal["retry", "callback", "done"]
    status: str
    at: float = 0.0  # when to call again (retry / callback)


def next_step(job: CallJob, result: CallResult, now: float, rules: CallingRules, cfg: CampaignConfig,
              window: tuple[int, int] | None = None, callbacks_booked: int = 0, started: float | None = None,
              avoid: tuple[int, int] | None = None) -> NextStep:
    """The status follows the outcome, strongest fact first: a sale is a sale even if the customer
    also asked to be called again or not to be called (the DNC list still records that)."""
    if result.converted:
        return NextStep("done", "converted")
    if result.complaint or result.do_not_call:
        return NextStep("done", "do_not_call")
    if result.answered_by == "invalid" or _WRONG_NUMBER_TAGS & set(result.tags):
        return NextStep("done", "wrong_number")
    if result.engine_failure:
        return _after_engine_failure(job, result, now, rules, cfg, callbacks_booked)
    booked = book_callback(job, result, now, rules, cfg, callbacks_booked, started)
    if booked is not None:  # no endless "call me later": decide_callback says None once max_callbacks is used
        return NextStep("callback", "callback", booked)
    unanswered = result.answered_by in ("no_answer", "busy", "failed") or (
        result.answered_by == "voicemail" and cfg.retry_voicemail)
    if unanswered:
        if job.attempt >= cfg.max_attempts:
            return NextStep("done", "unreachable" if result.answered_by != "voicemail" else "voicemail")
        backoff = cfg.retry_backoff_s[min(job.attempt - 1, len(cfg.retry_backoff_s) - 1)]
        return NextStep("retry", "retry", rules.next_allowed(now + backoff, job.timezone, window, avoid))
    if result.answered_by == "voicemail":
        return NextStep("done", "voicemail")
    if result.transferred:  # handed to a person because they wanted more: a lead unless they refused
        return NextStep("done", "not_interested" if result.intent_grade == "D" else "interested")
    return NextStep("done", "interested" if result.success else "not_interested")


def _after_engine_failure(job: CallJob, result: CallResult, now: float, rules: CallingRules, cfg: CampaignConfig,
                          callbacks_booked: int) -> NextStep:
    """The emergency plan ended the conversation: never a lead (the customer may have heard only an
    apology), and never a callback for a customer who had already refused."""
    refused = result.intent_grade == "D" or bool(_REFUSED_TAGS & set(result.tags))
    if refused:
        return NextStep("done", "not_interested")
    booked = None if result.transferred else book_callback(job, result, now, rules, cfg, callbacks_booked, None)
    if booked is not None:
        return NextStep("callback", "engine_failure", booked)
    return NextStep("done", "engine_failure")


def book_callback(job: CallJob, result: CallResult, now: float, rules: CallingRules, cfg: CampaignConfig,
                  callbacks_booked: int, started: float | None) -> float | None:
    """The time the dialogue said, booked through the same decision that chose it
    (``voicebot.dialogue.callback_time.decide_callback``): same hours, zone, caps and callbacks left,
    so the same time. None when there is no callback to book."""
    if result.callback_at is None:
        return None
    from voicebot.dialogue.callback_time import CallbackLimits, When, decide_callback  # dialogue imports campaign

    zone = rules.zone(job.timezone)
    limits = CallbackLimits(job.timezone or rules.default_tz, rules, cfg.callback_min_delay_s,
                            float(job.customer.get("callback_not_before") or 0.0),
                            cfg.max_callbacks - callbacks_booked)
    spoke_at = datetime.fromtimestamp(started if started is not None else now, zone)
    decision = decide_callback(When(datetime.fromtimestamp(result.callback_at, zone), False), spoke_at, limits,
                               job.locale, True)
    if decision is None:
        return None
    return decision.ts if decision.ts >= now else rules.next_allowed(now, job.timezone)
