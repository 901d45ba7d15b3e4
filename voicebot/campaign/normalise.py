"""Field normalisation at import: birth month/year to age, cities to a canonical name with their
province (``voicebot.places``), and named shopping days (去年双十一, 618, 春节前) to dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from voicebot.places import Place, city_literal, normalise_city  # noqa: F401 - the city part lives there (the dialogue speaks cities)

_BIRTH = [re.compile(r"^(\d{4})(\d{2})$"), re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$"),
          re.compile(r"^(\d{4})(\d{2})(\d{2})$"), re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$"),
          re.compile(r"^(\d{4})\s*年?$")]


@dataclass(frozen=True)
class Birth:
    iso: str  # 1970-03 (month only) or 1970-03-15
    year: int
    month: int | None
    day: int | None

    def age(self, today: date) -> int:
        """Whole years; with only a month known, the birthday counts as passed once that month begins."""
        before = (today.month, today.day) < (self.month or 1, self.day or 1)
        return today.year - self.year - (1 if before else 0)


def parse_birth(text: str, today: date) -> Birth:
    """197003, 1970-03, 1970年3月, 19700315, 1970/3/15, 1970: the month-only forms of 出生年月 exports."""
    raw = str(text).strip()
    for pattern in _BIRTH:
        m = pattern.match(raw)
        if not m:
            continue
        parts = [int(g) for g in m.groups()]
        year, month, day = parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None
        if not (1900 <= year <= today.year) or (month is not None and not 1 <= month <= 12):
            break
        if day is not None:
            try:
                born = date(year, month, day)  # type: ignore[arg-type]
            except ValueError:
                break
            if born > today:
                break
            return Birth(born.isoformat(), year, month, day)
        return Birth(f"{year:04d}-{month:02d}" if month else f"{year:04d}", year, month, None)
    raise ValueError(f"{raw!r} is not a birth date or birth month (e.g. 197003, 1970-03, 1970年3月)")


# Named shopping days: name -> (month, day) or a function of the year.
_FIXED_DAYS = {"双十一": (11, 11), "双11": (11, 11), "光棍节": (11, 11), "双十二": (12, 12), "双12": (12, 12),
               "618": (6, 18), "六一八": (6, 18), "年货节": None, "春节前": None, "春节": None, "元旦": (1, 1),
               "国庆": (10, 1), "十一": (10, 1), "中秋": None, "情人节": (2, 14), "七夕": None, "38节": (3, 8),
               "女神节": (3, 8), "三八节": (3, 8), "黑五": None}
_YEAR_WORDS = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}


def _spring_festival(year: int) -> date | None:
    try:
        from chinese_calendar import get_holiday_detail  # noqa: PLC0415
    except ImportError:
        return None
    day = date(year, 1, 15)
    while day < date(year, 3, 1):
        on, name = get_holiday_detail(day)
        if on and name == "Spring Festival":
            return day
        day += timedelta(days=1)
    return None


def shopping_day(text: str, today: date) -> date | None:
    """去年双十一 -> 11 Nov last year; 618 -> the last 18 June up to today; 春节前 -> a week before the
    Spring Festival holiday. None when the text names no such day."""
    raw = re.sub(r"\s+", "", str(text)).replace("期间", "").replace("的时候", "").replace("那天", "")
    m = re.fullmatch(r"(大前年|前年|去年|今年)?(\d{4}年)?(.+?)(?:前后|左右)?", raw)
    if not m:
        return None
    years_back = _YEAR_WORDS.get(m.group(1) or "", None)
    explicit = int(m.group(2)[:4]) if m.group(2) else None
    name = m.group(3)
    if name not in _FIXED_DAYS:
        return None
    before = name == "春节前"

    def on(year: int) -> date | None:
        if name in ("春节前", "春节", "年货节"):
            festival = _spring_festival(year)
            return festival - timedelta(days=7) if festival and (before or name == "年货节") else festival
        md = _FIXED_DAYS[name]
        return date(year, *md) if md else None

    if explicit is not None:
        return on(explicit)
    if years_back is not None:
        return on(today.year - years_back)
    this_year = on(today.year)  # no year said: the most recent one
    return this_year if this_year is not None and this_year <= today else on(today.year - 1)
