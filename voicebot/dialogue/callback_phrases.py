"""Reading the time a customer asks to be called back at, in their words (``parse_when``).

明天下午 / 周末 / 晚上七点以后 / 下周一 / 一个小时后 / 过两天 and "in an hour" / "tomorrow morning" /
"after six" / "next Monday" into a local datetime (the customer's time zone). Every phrase is a
row of a table below; unknown phrasings give None. ``voicebot.dialogue.callback_time`` books and
says it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Callable

from voicebot.locales import is_chinese
from voicebot.zh_numerals import digit_values


@dataclass(frozen=True)
class When:
    at: datetime  # local, aware
    relative: bool  # "in an hour": said as a duration when calling hours do not move it


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
    return _read_when(re.sub(r"\s+", "", text), now, _ZH)


def _zh_duration(t: str) -> timedelta | None:
    """一个半小时后 / 两个钟头以后 / 十分钟后: a time from now."""
    m = re.search(rf"({_ZH_NUM})?(个)?(半)?(?:个)?(?:小时|钟头)(?:以后|之后|后)", t)
    if m and (m.group(1) or m.group(3)):
        return timedelta(hours=(zh_number(m.group(1)) if m.group(1) else 0) + (0.5 if m.group(3) else 0))
    m = re.search(rf"({_ZH_NUM})分钟(?:以后|之后|后)", t)
    return timedelta(minutes=zh_number(m.group(1))) if m else None


def _zh_days(t: str, now: datetime) -> int | None:
    """Days from today: 明天 / 过两天, overridden by a day of the week (下周三, 周末, 下周)."""
    days = next((d for pattern, d in ZH_DAYS if re.search(pattern, t)), None)
    m = re.search(r"(下下|下)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天末])", t)
    if m:
        weeks = {"下下": 2, "下": 1}.get(m.group(1) or "", 0)
        return _weekend(now, weeks) if m.group(2) == "末" else _day_of_week(now, ZH_WEEKDAYS[m.group(2)], weeks)
    if re.search(r"下(?:个)?(?:周|星期|礼拜)", t):
        return _day_of_week(now, 0, 1)
    return days


def _zh_clock_time(t: str, pm: bool | None) -> tuple[int, int] | None:
    """七点半 / 3点15分 / 晚上七点以前 as (hour, minute); ``pm`` from the part of day said with it."""
    m = re.search(rf"({_ZH_NUM})(?:点|:|：|时)(半|一刻|三刻|({_ZH_NUM})分?)?(以后|之后|后|以前|之前|前)?", t)
    if not m or re.search(rf"{re.escape(m.group(0))}(?:钟头|小时)", t):
        return None  # followed by 小时/钟头: part of a duration, not a clock time
    minute = {"半": 30, "一刻": 15, "三刻": 45}.get(m.group(2) or "", zh_number(m.group(3)) if m.group(3) else 0)
    hour, minute = _clock(zh_number(m.group(1)), minute, pm)
    if m.group(4) in ("以前", "之前", "前"):
        hour -= 1
    return hour, minute


def parse_en(text: str, now: datetime) -> When | None:
    t = " " + re.sub(r"[^a-z0-9: ]", " ", text.lower()) + " "
    return _read_when(re.sub(r"\s+", " ", t), now, _EN)


_EN_MINUTES = {"ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty five": 45}


def _en_duration(t: str) -> timedelta | None:
    """"in an hour and a half" / "in two hours" / "in 20 minutes": a time from now."""
    m = re.search(r" in (?:(an|one|1) hour and a half|(half an|30 minutes|a half) hour?s?) ", t)
    if m:
        return timedelta(hours=1.5 if m.group(1) else 0.5)
    m = re.search(r" in (an|a|one|two|three|four|five|six|a couple of|a few|\d{1,2}) hours? ", t)
    if m:
        return timedelta(hours=en_number(m.group(1)))
    m = re.search(r" in (\d{1,3}|ten|fifteen|twenty|thirty|forty five) minutes? ", t)
    return timedelta(minutes=_EN_MINUTES.get(m.group(1)) or int(m.group(1))) if m else None


def _en_days(t: str, now: datetime) -> int | None:
    """Days from today: "tomorrow" / "in a few days", overridden by a day of the week or (next) weekend."""
    days = next((d for pattern, d in EN_DAYS if re.search(pattern, t)), None)
    m = re.search(r"(next )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", t)
    if m:
        return _day_of_week(now, EN_WEEKDAYS[m.group(2)], 1 if m.group(1) else 0)
    if re.search(r"(next )?weekend", t):
        return _weekend(now, 1 if "next weekend" in t else 0)
    if " next week " in t:
        return _day_of_week(now, 0, 1)
    return days


_EN_CLOCK = re.compile(
    rf" (?:half past ({_EN_NUM})|(?:at|after|around|about|by|from) ({_EN_NUM})(?::(\d\d))? ?(am|pm|a m|p m|o clock)?"
    rf"|({_EN_NUM})(?::(\d\d))? ?(am|pm|a m|p m|o clock)) ")


def _en_clock_time(t: str, part_pm: bool | None) -> tuple[int, int] | None:
    """"half past six" / "after 6:30" / "7 pm" as (hour, minute); am/pm said wins over the part of day."""
    m = _EN_CLOCK.search(t)
    if not m:
        return None
    if m.group(1):
        hour, minute, suffix = en_number(m.group(1)), 30, None
    elif m.group(2):
        hour, minute, suffix = en_number(m.group(2)), int(m.group(3) or 0), m.group(4)
    else:
        hour, minute, suffix = en_number(m.group(5)), int(m.group(6) or 0), m.group(7)
    pm = True if suffix in ("pm", "p m") else False if suffix in ("am", "a m") else part_pm
    return _clock(hour, minute, pm)


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


@dataclass(frozen=True)
class _Readers:
    """One language's readers of a callback time: the same steps in both languages."""

    duration: Callable[[str], timedelta | None]  # "in two hours": a time from now
    days: Callable[[str, datetime], int | None]  # days from today
    parts: Any  # (pattern, (hour, minute, pm)) for parts of the day
    clock_time: Callable[[str, bool | None], tuple[int, int] | None]
    later: str  # "later" with nothing more precise


def _read_when(t: str, now: datetime, readers: _Readers) -> When | None:
    duration = readers.duration(t)
    if duration is not None:
        return When(now + duration, True)
    days = readers.days(t, now)
    part = next((v for p, v in readers.parts if re.search(p, t)), None)
    hm = readers.clock_time(t, part[2] if part else None) or ((part[0], part[1]) if part else None)
    if days is None and hm is None and re.search(readers.later, t):
        return When(now + LATER, True)
    return _combine(now, days, hm)


_ZH = _Readers(_zh_duration, _zh_days, ZH_PARTS, _zh_clock_time, ZH_LATER)
_EN = _Readers(_en_duration, _en_days, EN_PARTS, _en_clock_time, EN_LATER)
