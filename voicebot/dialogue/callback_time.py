"""When to call back: the time a customer asks for, in their words, as one value said and booked.

``parse_when`` (``voicebot.dialogue.callback_phrases``) reads 明天下午 / 周末 / 晚上七点以后 / 下周一 /
一个小时后 / 过两天 and "in an hour" / "tomorrow morning" / "after six" / "next Monday" into a local
datetime (the customer's time zone); unknown phrasings give None (the segment's default applies).
``CallbackPlanner`` moves it into calling hours and words the result, so the bot says exactly the
time the campaign books ("好的，那我明天下午两点再给您打过来").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from voicebot.dialogue.callback_phrases import When, parse_when
from voicebot.locales import is_chinese, locale_info
from voicebot.zh_numerals import chinese_number

__all__ = ["CallbackLimits", "CallbackPlanner", "CallbackTime", "CallingHours", "When", "decide_callback",
           "hours_now", "no_callback_line", "parse_when", "say_time"]


class CallingHours(Protocol):
    """Earliest allowed calling time at or after ``ts`` (``voicebot.calling_hours.CallingRules``)."""

    def next_allowed(self, ts: float, tz: str | None = None, window: tuple[int, int] | None = None) -> float: ...


@dataclass(frozen=True)
class CallbackTime:
    at: datetime  # aware, the customer's zone
    said: str  # how the bot says it
    asked: bool  # from the customer's words (else the plan's default follow-up)

    @property
    def ts(self) -> float:
        return self.at.timestamp()


# --- saying it ---------------------------------------------------------------------------
def _zh_clock(at: datetime) -> str:
    h, m = at.hour, at.minute
    part = "上午" if h < 12 else "中午" if h == 12 else "下午" if h < 18 else "晚上"
    h12 = h if h <= 12 else h - 12
    hour = "两" if h12 == 2 else chinese_number(h12)
    minute = "" if m == 0 else "半" if m == 30 else ("零" if m < 10 else "") + f"{chinese_number(m)}分"
    return f"{part}{hour}点{minute}"


_ZH_WEEK = "一二三四五六日"


def _zh_day(at: datetime, now: datetime) -> str:
    diff = (at.date() - now.date()).days
    if diff <= 2:
        return ["今天", "明天", "后天"][max(diff, 0)]
    week = (at.date() - timedelta(days=at.weekday())) - (now.date() - timedelta(days=now.weekday()))
    if week.days == 0:
        return f"这周{_ZH_WEEK[at.weekday()]}"
    if week.days == 7:
        return f"下周{_ZH_WEEK[at.weekday()]}"
    return f"{at.month}月{at.day}日"


def _en_clock(at: datetime) -> str:
    h12 = at.hour % 12 or 12
    return f"{h12}{'' if at.minute == 0 else f':{at.minute:02d}'} {'am' if at.hour < 12 else 'pm'}"


def _en_day(at: datetime, now: datetime) -> str:
    diff = (at.date() - now.date()).days
    if diff <= 1:
        return ["today", "tomorrow"][max(diff, 0)]
    if diff < 7:
        return f"on {at:%A}"
    return f"on {at:%A}, {at:%B} {at.day}"


_EN_HOURS = ["", "an hour", "two hours", "three hours", "four hours", "five hours"]


def _duration(minutes: int, locale: str) -> str | None:
    """Whole and half hours up to five: 一个半小时后 / in an hour and a half."""
    hours, rest = divmod(minutes, 60)
    if rest not in (0, 30) or hours > 5 or minutes == 0:
        return None
    if is_chinese(locale):
        if hours == 0:
            return "半个小时后"
        return f"{'两' if hours == 2 else chinese_number(hours)}个{'半' if rest else ''}小时后"
    if hours == 0:
        return "in half an hour"
    return f"in {_EN_HOURS[hours]}" + (" and a half" if rest else "")


def say_time(at: datetime, now: datetime, locale: str, relative: bool = False) -> str:
    """How the bot says ``at``: 明天下午两点 / 这周六上午十点 / 一个小时后; tomorrow at 2 pm / in an hour."""
    if relative:
        spoken = _duration(round((at - now).total_seconds() / 60), locale)
        if spoken:
            return spoken
    if is_chinese(locale):
        return _zh_day(at, now) + _zh_clock(at)
    return f"{_en_day(at, now)} at {_en_clock(at)}"


def _round_up(at: datetime, minutes: int = 30) -> datetime:
    """A default follow-up is booked on the half hour, so it can be said as it is booked."""
    base = at.replace(second=0, microsecond=0)
    extra = (-base.minute) % minutes if (at.second or at.microsecond or base.minute % minutes) else 0
    if at.second or at.microsecond:
        extra = extra or minutes
    return base + timedelta(minutes=extra)


# What the bot says when no callback can be booked (max_callbacks used up): no promise of a call.
NO_CALLBACK = {"zh": "好的，那就不多打扰您了。您方便的时候可以随时联系我们，再见。",
               "en": "All right, I won't keep you. You are welcome to contact us whenever it suits you. Goodbye."}
NO_AGENT_NO_CALLBACK = {"zh": "非常抱歉，现在没有空闲的客服。您方便的时候可以随时联系我们，再见。",
                        "en": "I am sorry, no colleague is free right now. You are welcome to contact us whenever it "
                              "suits you. Goodbye."}


def no_callback_line(locale: str, after_transfer: bool = False) -> str:
    table = NO_AGENT_NO_CALLBACK if after_transfer else NO_CALLBACK
    return table[locale_info(locale).family]


@dataclass(frozen=True)
class CallbackLimits:
    """Everything besides the customer's words that decides a callback time, as it is at the call."""

    timezone: str  # the customer's
    hours: CallingHours  # the campaign's hours now (``campaign hours`` may have changed them)
    min_delay_s: float = 1800.0  # never sooner than this after the call (the frequency rules agree)
    not_before: float = 0.0  # epoch s: the number's daily call budget is used up until then
    callbacks_left: int | None = None  # of max_callbacks; 0 = no callback can be booked; None = no limit known


def decide_callback(when: When, now: datetime, limits: CallbackLimits, locale: str,
                    asked: bool) -> CallbackTime | None:
    """The one callback decision: the time both said and booked, or None when no callback can be
    booked. The dialogue calls it to speak, and the scheduler calls it again to book: with the
    same limits it returns the same time (an allowed, late-enough time is left as it is)."""
    if limits.callbacks_left is not None and limits.callbacks_left <= 0:
        return None
    zone = ZoneInfo(limits.timezone)
    now = now.astimezone(zone)
    earliest = max(now + timedelta(seconds=limits.min_delay_s), datetime.fromtimestamp(limits.not_before, zone))
    at = max(when.at.astimezone(zone), earliest)
    if at != when.at:
        at = _round_up(at, 15)
    allowed = datetime.fromtimestamp(limits.hours.next_allowed(at.timestamp(), limits.timezone), zone)
    relative = when.relative and allowed == when.at
    return CallbackTime(allowed, say_time(allowed, now, locale, relative), asked)


def hours_now(hours: CallingHours, start: str | None, end: str | None) -> CallingHours:
    """``hours`` with the campaign's current opening times (HH:MM) put on the call by the worker."""
    if not start or not end or not hasattr(hours, "open_minute"):
        return hours

    def minutes(hhmm: str) -> int:
        return int(hhmm.split(":")[0]) * 60 + int(hhmm.split(":")[1])

    return replace(hours, open_minute=minutes(start), close_minute=minutes(end))  # type: ignore[type-var]


@dataclass
class CallbackPlanner:
    """One call's callback times: parsed from the customer, or the plan's default delay."""

    locale: str
    timezone: str
    hours: CallingHours
    clock: Callable[[], float]
    min_delay_s: float = 1800.0  # never sooner than this after the call (the frequency rules agree)
    not_before: float = 0.0  # epoch s: the number's daily call budget is used up until then
    callbacks_left: int | None = None  # None: no campaign limit known (e.g. an inbound call)

    @property
    def limits(self) -> CallbackLimits:
        return CallbackLimits(self.timezone, self.hours, self.min_delay_s, self.not_before, self.callbacks_left)

    @property
    def exhausted(self) -> bool:
        """max_callbacks is used up: the bot must not promise a call."""
        return self.callbacks_left is not None and self.callbacks_left <= 0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), ZoneInfo(self.timezone))

    def heard_time(self, text: str) -> bool:
        """The words name a time (whether or not a callback can still be booked)."""
        return parse_when(text, self.now(), self.locale) is not None

    def asked(self, text: str) -> CallbackTime | None:
        now = self.now()
        when = parse_when(text, now, self.locale)
        return decide_callback(when, now, self.limits, self.locale, True) if when is not None else None

    def default(self, delay_s: float) -> CallbackTime | None:
        now = self.now()
        return decide_callback(When(_round_up(now + timedelta(seconds=delay_s)), False), now, self.limits,
                               self.locale, False)
