"""When to call back: the time a customer asks for, in their words, as one value said and booked.

``parse_when`` reads 明天下午 / 周末 / 晚上七点以后 / 下周一 / 一个小时后 / 过两天 and
"in an hour" / "tomorrow morning" / "after six" / "next Monday" into a local datetime (the
customer's time zone). ``CallbackPlanner`` moves it into calling hours and words the result, so the
bot says exactly the time the campaign books ("好的，那我明天下午两点再给您打过来").
Every phrase is a row of a table below; unknown phrasings give None (the segment's default applies).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from voicebot.locales import is_chinese, locale_info
from voicebot.zh_numerals import chinese_number, digit_values


class CallingHours(Protocol):
    """Earliest allowed calling time at or after ``ts`` (``voicebot.calling_hours.CallingRules``)."""

    def next_allowed(self, ts: float, tz: str | None = None, window: tuple[int, int] | None = None) -> float: ...


@dataclass(frozen=True)
class When:
    at: datetime  # local, aware
    relative: bool  # "in an hour": said as a duration when calling hours do not move it


@dataclass(frozen=True)
class CallbackTime:
    at: datetime  # aware, the customer's zone
    said: str  # how the bot says it
    asked: bool  # from the customer's words (else the plan's default follow-up)

    @property
    def ts(self) -> float:
        return self.at.timestamp()


# --- numbers -------------------------------------------------------------------------
_ZH_DIGITS = digit_values(lia=True)  # 过俩小时: people say 俩 in durations
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
               "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1, "a couple of": 2, "couple of": 2,
               "a few": 3, "few": 3}
_ZH_NUM = rf"(?:\d{{1,2}}|[{''.join(_ZH_DIGITS)}十]{{1,3}})"
_EN_NUM = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"


def zh_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_ZH_DIGITS.get(tens, 1) if tens else 1) * 10 + (_ZH_DIGITS.get(ones, 0) if ones else 0)
    return _ZH_DIGITS[text]


def en_number(text: str) -> int:
    return int(text) if text.isdigit() else _EN_NUMBERS[text]


# --- tables: phrase -> meaning ---------------------------------------------------------
# (pattern, days from today) - checked in order, the first match wins.
ZH_DAYS: list[tuple[str, int]] = [("大后天", 3), ("后天", 2), ("明天|明儿|明早|明晚|明日", 1), ("今天|今晚|今儿|今早", 0),
                                  ("过一两天|过两天|过两日", 2), ("过几天|过些天|过段时间", 3)]
EN_DAYS: list[tuple[str, int]] = [(r"day after tomorrow", 2), (r"tomorrow", 1), (r"today|tonight|this (?:morning|afternoon|evening)", 0),
                                  (r"in (?:two|2|a couple of) days", 2), (r"in (?:a few|three|3) days", 3)]
# part of day -> (default hour, minute, hours 1-11 mean pm)
ZH_PARTS: list[tuple[str, tuple[int, int, bool]]] = [
    ("凌晨", (9, 0, False)), ("早上|早晨|一早|明早|今早", (9, 0, False)), ("上午", (10, 0, False)), ("中午|午饭后|午休", (12, 30, True)),
    ("下午", (14, 0, True)), ("傍晚", (17, 30, True)), ("晚上|今晚|明晚|晚饭后|夜里", (19, 0, True))]
EN_PARTS: list[tuple[str, tuple[int, int, bool]]] = [
    (r"morning", (10, 0, False)), (r"afternoon", (14, 0, True)), (r"\bnoon|lunch ?time|midday", (12, 30, True)),
    (r"evening|tonight|after work|after dinner", (19, 0, True))]
ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
EN_WEEKDAYS = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
DEFAULT_HOUR = (10, 0)  # a day without a time: mid-morning
# "Later" without a time: two hours (said as such), rather than the segment's days-later default.
ZH_LATER = r"晚点|晚些时候|晚一点|等会儿?|待会儿?|过一?会儿?|一会儿|稍后"
EN_LATER = r" (?:later|in a (?:bit|while)|in a little while) "
LATER = timedelta(hours=2)


def _day_of_week(now: datetime, weekday: int, weeks_ahead: int) -> int:
    """Days from today to ``weekday`` (0 = Monday): this week's (the next one if it has passed or is
    today), or that of ``weeks_ahead`` weeks later."""
    if weeks_ahead:
        return (7 * weeks_ahead) - now.weekday() + weekday
    delta = (weekday - now.weekday()) % 7
    return delta or 7


def _weekend(now: datetime, weeks_ahead: int) -> int:
    if weeks_ahead:
        return 7 * weeks_ahead - now.weekday() + 5
    return {5: 1, 6: 6}.get(now.weekday(), 5 - now.weekday())  # on Saturday: Sunday; on Sunday: next Saturday


def _combine(now: datetime, days: int | None, hm: tuple[int, int] | None) -> When | None:
    if days is None and hm is None:
        return None
    h, m = hm if hm is not None else DEFAULT_HOUR
    day = now.date() + timedelta(days=days or 0)
    at = datetime.combine(day, time(h % 24, m), now.tzinfo)
    if days is None and at <= now:
        at += timedelta(days=1)  # "at three" said after three: tomorrow
    return When(at, False)


def _clock(hour: int, minute: int, pm: bool | None) -> tuple[int, int]:
    """``pm`` None: a bare hour 1-7 is afternoon/evening (nobody is called at 3 am)."""
    if pm is True and hour < 12:
        hour += 12
    elif pm is None and 1 <= hour <= 7:
        hour += 12
    return hour, minute


def parse_zh(text: str, now: datetime) -> When | None:
    t = re.sub(r"\s+", "", text)
    m = re.search(rf"({_ZH_NUM})?(个)?(半)?(?:个)?(?:小时|钟头)(?:以后|之后|后)", t)
    if m and (m.group(1) or m.group(3)):
        hours = (zh_number(m.group(1)) if m.group(1) else 0) + (0.5 if m.group(3) else 0)
        return When(now + timedelta(hours=hours), True)
    m = re.search(rf"({_ZH_NUM})分钟(?:以后|之后|后)", t)
    if m:
        return When(now + timedelta(minutes=zh_number(m.group(1))), True)
    days: int | None = None
    for pattern, d in ZH_DAYS:
        if re.search(pattern, t):
            days = d
            break
    m = re.search(r"(下下|下)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天末])", t)
    if m:
        weeks = {"下下": 2, "下": 1}.get(m.group(1) or "", 0)
        days = _weekend(now, weeks) if m.group(2) == "末" else _day_of_week(now, ZH_WEEKDAYS[m.group(2)], weeks)
    elif re.search(r"下(?:个)?(?:周|星期|礼拜)", t):
        days = _day_of_week(now, 0, 1)
    part = next((v for p, v in ZH_PARTS if re.search(p, t)), None)
    hm: tuple[int, int] | None = (part[0], part[1]) if part else None
    m = re.search(rf"({_ZH_NUM})(?:点|:|：|时)(半|一刻|三刻|({_ZH_NUM})分?)?(以后|之后|后|以前|之前|前)?", t)
    if m and not re.search(rf"{re.escape(m.group(0))}(?:钟头|小时)", t):
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(m.group(2) or "", zh_number(m.group(3)) if m.group(3) else 0)
        hour, minute = _clock(zh_number(m.group(1)), minute, part[2] if part else None)
        if m.group(4) in ("以前", "之前", "前"):
            hour -= 1
        hm = (hour, minute)
    if days is None and hm is None and re.search(ZH_LATER, t):
        return When(now + LATER, True)
    return _combine(now, days, hm)


def parse_en(text: str, now: datetime) -> When | None:
    t = " " + re.sub(r"[^a-z0-9: ]", " ", text.lower()) + " "
    t = re.sub(r"\s+", " ", t)
    m = re.search(r" in (?:(an|one|1) hour and a half|(half an|30 minutes|a half) hour?s?) ", t)
    if m:
        return When(now + timedelta(hours=1.5 if m.group(1) else 0.5), True)
    m = re.search(r" in (an|a|one|two|three|four|five|six|a couple of|a few|\d{1,2}) hours? ", t)
    if m:
        return When(now + timedelta(hours=en_number(m.group(1))), True)
    m = re.search(r" in (\d{1,3}|ten|fifteen|twenty|thirty|forty five) minutes? ", t)
    if m:
        words = {"ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty five": 45}
        return When(now + timedelta(minutes=words.get(m.group(1)) or int(m.group(1))), True)
    days: int | None = None
    for pattern, d in EN_DAYS:
        if re.search(pattern, t):
            days = d
            break
    m = re.search(r"(next )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", t)
    if m:
        days = _day_of_week(now, EN_WEEKDAYS[m.group(2)], 1 if m.group(1) else 0)
    elif re.search(r"(next )?weekend", t):
        days = _weekend(now, 1 if "next weekend" in t else 0)
    elif " next week " in t:
        days = _day_of_week(now, 0, 1)
    part = next((v for p, v in EN_PARTS if re.search(p, t)), None)
    hm: tuple[int, int] | None = (part[0], part[1]) if part else None
    m = re.search(rf" (?:half past ({_EN_NUM})|(?:at|after|around|about|by|from) ({_EN_NUM})(?::(\d\d))? ?(am|pm|a m|p m|o clock)?"
                  rf"|({_EN_NUM})(?::(\d\d))? ?(am|pm|a m|p m|o clock)) ", t)
    if m:
        if m.group(1):
            hour, minute, suffix = en_number(m.group(1)), 30, None
        elif m.group(2):
            hour, minute, suffix = en_number(m.group(2)), int(m.group(3) or 0), m.group(4)
        else:
            hour, minute, suffix = en_number(m.group(5)), int(m.group(6) or 0), m.group(7)
        pm = True if suffix in ("pm", "p m") else False if suffix in ("am", "a m") else (part[2] if part else None)
        hm = _clock(hour, minute, pm)
    if days is None and hm is None and re.search(EN_LATER, t):
        return When(now + LATER, True)
    return _combine(now, days, hm)


def parse_when(text: str, now: datetime, locale: str) -> When | None:
    """The time asked for in ``text`` (``now`` is aware, in the customer's zone), or None.

    The words' script picks the reader, not the plan's locale: "call me back in an hour" on a
    Chinese campaign is read as English rather than falling back to the segment default."""
    if not text.strip():
        return None
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return parse_zh(text, now)
    if any("a" <= ch.lower() <= "z" for ch in text):
        return parse_en(text, now)
    return parse_zh(text, now) if is_chinese(locale) else parse_en(text, now)


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
