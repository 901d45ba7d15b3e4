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
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.config import CampaignConfig


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


@dataclass(frozen=True)
class CallingRules:
    open_minute: int = 9 * 60
    close_minute: int = 20 * 60
    holidays: frozenset[date] = frozenset()
    default_tz: str = "Asia/Shanghai"
    prefer_within_days: int = 2
    search_days: int = 30
    public_holidays: bool = True  # China's statutory holidays are days off for customers in China

    @classmethod
    def from_config(cls, cfg: CampaignConfig) -> CallingRules:
        return cls(_minutes(cfg.calling_hours_start), _minutes(cfg.calling_hours_end),
                   frozenset(date.fromisoformat(d) for d in cfg.holidays), cfg.default_timezone,
                   public_holidays=not cfg.call_on_public_holidays)

    def day_off(self, d: date, zone: ZoneInfo) -> bool:
        """A configured holiday, or a 法定节假日 for a customer in China (weekends are calling days,
        so 调休 make-up working weekends need nothing)."""
        return d in self.holidays or (self.public_holidays and zone.key in _CHINA_ZONES and _statutory(d))

    @property
    def open_hour(self) -> int:
        return self.open_minute // 60

    @property
    def close_hour(self) -> int:
        return -(-self.close_minute // 60)

    def zone(self, tz: str | None) -> ZoneInfo:
        return _zone(tz or self.default_tz)

    def is_allowed(self, ts: float, tz: str | None = None, avoid: tuple[int, int] | None = None) -> bool:
        """Inside calling hours on a working day, and outside the hours the customer excluded."""
        local = datetime.fromtimestamp(ts, self.zone(tz))
        minute = local.hour * 60 + local.minute
        if avoid is not None and avoid[0] * 60 <= minute < avoid[1] * 60:
            return False
        return not self.day_off(local.date(), self.zone(tz)) and self.open_minute <= minute < self.close_minute

    def next_allowed(self, ts: float, tz: str | None = None, window: tuple[int, int] | None = None,
                     avoid: tuple[int, int] | None = None) -> float:
        """Earliest time >= ts inside calling hours and outside ``avoid`` (the customer's 中午别打);
        inside the preferred (start, end) hour window if one comes within ``prefer_within_days``."""
        zone = self.zone(tz)
        if window is not None:
            lo, hi = max(self.open_minute, window[0] * 60), min(self.close_minute, window[1] * 60)
            if lo < hi:
                found = self._first_slot(ts, zone, lo, hi, self.prefer_within_days + 1, avoid)
                if found is not None:
                    return found
        found = self._first_slot(ts, zone, self.open_minute, self.close_minute, self.search_days, avoid)
        if found is None:
            found = self._first_slot(ts, zone, self.open_minute, self.close_minute, self.search_days)
        if found is None:
            raise ValueError(f"no allowed calling time in the {self.search_days} days after {ts}")
        return found

    def _first_slot(self, ts: float, zone: ZoneInfo, lo: int, hi: int, days: int,
                    avoid: tuple[int, int] | None = None) -> float | None:
        day = datetime.fromtimestamp(ts, zone).date()
        for offset in range(days):
            d = day + timedelta(days=offset)
            if self.day_off(d, zone):
                continue
            for a, b in _minus(lo, hi, avoid):
                start = datetime.combine(d, time(a // 60, a % 60), zone).timestamp()
                end = datetime.combine(d, time(b // 60 % 24, b % 60), zone).timestamp() if b < 1440 else \
                    datetime.combine(d + timedelta(days=1), time(0), zone).timestamp()
                if ts < end:
                    return max(ts, start)
        return None


_CHINA_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "Asia/Urumqi", "PRC"})


@lru_cache(maxsize=2048)
def _statutory(d: date) -> bool:
    """A named statutory holiday (a weekend alone has no name); unknown years count as working."""
    try:
        from chinese_calendar import get_holiday_detail
    except ImportError:
        return False
    try:
        on_holiday, name = get_holiday_detail(d)
    except NotImplementedError:  # a year the package does not cover yet
        return False
    return bool(on_holiday and name)


def _minus(lo: int, hi: int, avoid: tuple[int, int] | None) -> list[tuple[int, int]]:
    """The minute ranges of [lo, hi) outside the avoided hours."""
    if avoid is None:
        return [(lo, hi)]
    a, b = avoid[0] * 60, avoid[1] * 60
    return [(x, y) for x, y in ((lo, min(hi, a)), (max(lo, b), hi)) if x < y]


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

    zone = _zone(job.timezone or rules.default_tz)
    limits = CallbackLimits(job.timezone or rules.default_tz, rules, cfg.callback_min_delay_s,
                            float(job.customer.get("callback_not_before") or 0.0),
                            cfg.max_callbacks - callbacks_booked)
    spoke_at = datetime.fromtimestamp(started if started is not None else now, zone)
    decision = decide_callback(When(datetime.fromtimestamp(result.callback_at, zone), False), spoke_at, limits,
                               job.locale, True)
    if decision is None:
        return None
    return decision.ts if decision.ts >= now else rules.next_allowed(now, job.timezone)
