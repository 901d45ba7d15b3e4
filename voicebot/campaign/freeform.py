"""Free-form cell text as people type it into a CRM or Excel: amounts, counts, dates, contact times.

Each parser returns the value, or raises ValueError naming what it could not read. Where the text
is readable but ambiguous (03/04/2025), the value comes with a note the importer shows as a
cell warning, so nothing is silently guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from voicebot.zh_numerals import BIG_UNITS, FINANCIAL_UNITS, SMALL_UNITS, TRADITIONAL_BIG_UNITS, digit_values

# Typed cells: financial forms (壹仟) and 萬 as well; 幺/俩 are spoken, not typed.
_CN_DIGITS = digit_values(financial=True)
_CN_UNITS = {**SMALL_UNITS, **FINANCIAL_UNITS}
_CN_BIG = {**BIG_UNITS, **TRADITIONAL_BIG_UNITS}
_ONE_TO_TEN = "".join(c for c, v in digit_values().items() if v) + "十"  # days ago, hours, 三成: no 零
_CURRENCY = re.compile(r"(人民币|rmb|cny|usd|us\$|元整|元|块钱|块|¥|￥|\$|€|约|大约|左右|以上|多)", re.IGNORECASE)
_COUNT_SUFFIX = re.compile(r"(次|单|笔|件|个|回|份|张|订单|周岁|岁|分|orders?|times?|years?|yrs?)$", re.IGNORECASE)
# Arabic number with an optional Chinese / Western magnitude: 1.2万, 3k, 5千, 2w
_MAGNITUDE = {"万": 1e4, "萬": 1e4, "w": 1e4, "千": 1e3, "k": 1e3, "百": 1e2, "亿": 1e8, "m": 1e6}


def chinese_number(text: str) -> float:
    """两千 -> 2000, 一万二 -> 12000, 三千五 -> 3500, 十二 -> 12, 一百零五 -> 105."""
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS and c not in _CN_BIG for c in text):
        raise ValueError(f"{text!r} is not a Chinese numeral")
    total, section, digit = 0, 0, None
    last_unit = 1
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            last_unit, digit = _CN_UNITS[ch], None
        else:  # 万 / 亿 close a section
            section += digit or 0
            total += section * _CN_BIG[ch]
            section, digit, last_unit = 0, None, _CN_BIG[ch]
    if digit is not None:
        # A trailing digit after a unit is the next lower unit: 三千五 = 3500, 一万二 = 12000.
        section += digit * (last_unit // 10 if last_unit >= 10 and text[-2] not in "零〇" else 1)
    return float(total + section)


def amount(text: str) -> float:
    """￥1800, 1.2万, 3,200.50, 800元, 两千, 3k, RMB 500 -> a number (same currency as written)."""
    raw = str(text).strip()
    cleaned = _CURRENCY.sub("", raw).replace(",", "").replace("，", "").replace(" ", "").strip()
    if not cleaned:
        raise ValueError(f"{raw!r} is not an amount")
    match = re.fullmatch(r"([-+]?\d+(?:\.\d+)?)([万萬wk千百亿m]?)", cleaned, re.IGNORECASE)
    if match:
        return float(match.group(1)) * _MAGNITUDE.get(match.group(2).lower(), 1.0)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)万(\d+)", cleaned)  # 1万2 = 12000
    if match:
        return float(match.group(1)) * 1e4 + float(match.group(2)) * 10 ** (4 - len(match.group(2)))
    try:
        return chinese_number(cleaned)
    except ValueError:
        raise ValueError(f"{raw!r} is not an amount") from None


def count(text: str) -> int:
    """3, 3次, 两次, 十二单, 5.0 -> a whole number."""
    raw = str(text).strip()
    value = amount(_COUNT_SUFFIX.sub("", _CURRENCY.sub("", raw.replace("共", ""))).strip() or raw)
    if value != int(value):
        raise ValueError(f"{raw!r} is not a whole number")
    return int(value)


_DATE_PATTERNS = [
    # (regex, group order) — year first is the Chinese and ISO convention
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"), "ymd"),
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), "ymd"),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), "ymd"),
    (re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"), "dmy?"),
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月"), "ym"),
    (re.compile(r"(\d{4})[-/.](\d{1,2})"), "ym"),
]
_EXCEL_EPOCH = date(1899, 12, 30)
_EN_FORMATS = ["%d-%b-%Y", "%d-%b-%y", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%Y-%b-%d"]


@dataclass(frozen=True)
class Parsed:
    value: object
    note: str = ""  # readable but worth a look (ambiguous day/month, partial date, ...)


def parse_date(text: str | datetime | date, formats: list[str] | None = None, day_first: bool = True,
               today: date | None = None) -> Parsed:
    """2025年3月24日, 2024.12.01, 2025/3/24 14:05, 24/03/2025, 20250324, an Excel serial day, or any
    of ``formats``. A date with only year and month is read as the 1st, with a note."""
    if isinstance(text, datetime):
        return Parsed(text.date())
    if isinstance(text, date):
        return Parsed(text)
    raw = str(text).strip()
    # In order: the mapping's own formats, an Excel day number, 3天前, the numeric forms, 24-Mar-2025.
    parsed = (_with_formats(raw, formats or []) or _excel_day(raw) or _relative(raw, today or date.today())
              or _numeric_date(raw, day_first) or _with_formats(raw, _EN_FORMATS))
    if parsed is None:
        raise ValueError(f"{raw!r} is not a date")
    return parsed


def _with_formats(raw: str, formats: list[str]) -> Parsed | None:
    for fmt in formats:
        try:
            return Parsed(datetime.strptime(raw, fmt).date())
        except ValueError:
            continue
    return None


def _excel_day(raw: str) -> Parsed | None:
    if re.fullmatch(r"\d{5}(\.\d+)?", raw) and 20000 <= float(raw) <= 80000:  # Excel stored the date as a number
        return Parsed(_EXCEL_EPOCH + timedelta(days=int(float(raw))), "Excel day number read as a date")
    return None


def _relative(raw: str, today: date) -> Parsed | None:
    relative = _relative_date(raw, today)
    return Parsed(relative, f"relative date read against {today.isoformat()}") if relative is not None else None


def _numeric_date(raw: str, day_first: bool) -> Parsed | None:
    """The first of ``_DATE_PATTERNS`` that matches; ValueError when its numbers are no real date."""
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(raw)
        if not match:
            continue
        parts = [int(g) for g in match.groups()]
        note = ""
        if order == "ymd":
            y, m, d = parts
        elif order == "ym":
            (y, m), d = parts, 1
            note = "no day given, read as the 1st"
        else:
            a, b, y = parts
            y, m, d, note = _day_month_year(a, b, y, day_first)
        if _valid(y, m, d):
            return Parsed(date(y, m, d), note)
        raise ValueError(f"{raw!r} is not a real date")
    return None


def _day_month_year(a: int, b: int, y: int, day_first: bool) -> tuple[int, int, int, str]:
    """(year, month, day, note) of a/b/y: a number over 12 is the day; else ``day_first`` decides, with a note."""
    if a > 12:
        return y, b, a, ""
    if b > 12:
        return y, a, b, ""
    d, m = (a, b) if day_first else (b, a)
    note = ""
    if a != b:
        note = f"day/month ambiguous, read as {date(y, m, d).isoformat()}" if _valid(y, m, d) else ""
    return y, m, d, note


_RELATIVE_WORDS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "上周": 7, "上星期": 7, "上个月": 30, "上月": 30,
                   "去年": 365, "today": 0, "yesterday": 1, "last week": 7, "last month": 30, "last year": 365}
_RELATIVE_UNITS = {"天": 1, "日": 1, "周": 7, "星期": 7, "个月": 30, "月": 30, "年": 365, "day": 1, "days": 1,
                   "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365, "years": 365}


def _relative_date(raw: str, today: date) -> date | None:
    """昨天, 上个月, 3天前, 两个月前, 2 weeks ago -> a date (approximate for months and years)."""
    low = raw.lower()
    if low in _RELATIVE_WORDS:
        return today - timedelta(days=_RELATIVE_WORDS[low])
    match = re.fullmatch(rf"(\d+|[{_ONE_TO_TEN}半]+)\s*(天|日|周|星期|个月|月|年|days?|weeks?|months?|years?)\s*(前|以前|之前|ago)",
                         low)
    if not match:
        return None
    n = 0.5 if match.group(1) == "半" else float(match.group(1)) if match.group(1).isdigit() \
        else chinese_number(match.group(1))
    return today - timedelta(days=round(n * _RELATIVE_UNITS[match.group(2)]))


def _valid(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return 1900 <= y <= 2100


@dataclass(frozen=True)
class ContactTime:
    """A calling note read as constraints: preferred local hours [start, end) and days, and hours
    the customer asked us not to call (中午别打 -> avoid 12-14: excluded, never preferred)."""

    start: int | None  # None = any hour
    end: int | None
    days: str = "any"  # any | weekday | weekend
    avoid: tuple[int, int] | None = None  # local hours [start, end) never to call

    def describe(self) -> str:
        """For `import --dry-run`: what the scheduler will do with the note."""
        parts = []
        if self.start is not None:
            parts.append(f"prefer {self.start:02d}:00-{self.end:02d}:00")
        if self.avoid is not None:
            parts.append(f"avoid {self.avoid[0]:02d}:00-{self.avoid[1]:02d}:00")
        if self.days != "any":
            parts.append(f"{self.days}s only")
        return "; ".join(parts) or "any time"


# A clause holding one of these says when NOT to call; the rest of the note says when to.
_NEGATIONS = ("别", "不要", "不方便", "除了", "勿", "不能", "不接", "不可以", "不行", "避开", "避免", "avoid", "don't",
              "do not", "not ", "never", "except")
_CLAUSES = re.compile(r"[，,；;。！!]+|但是?|\s+but\s+")


_PERIODS = {  # words for parts of the day -> (start, end) local hours
    "凌晨": (5, 8), "清早": (7, 9), "早上": (8, 10), "早晨": (8, 10), "上午": (9, 12), "中午": (12, 14),
    "午休": (12, 14), "下午": (14, 18), "傍晚": (17, 19), "晚上": (18, 21), "晚间": (18, 21), "夜里": (20, 22),
    "下班后": (18, 21), "白天": (9, 18), "morning": (9, 12), "noon": (12, 14), "lunch": (12, 14),
    "afternoon": (14, 18), "evening": (18, 21), "night": (19, 22), "daytime": (9, 18), "after work": (18, 21),
}
_PM_PERIODS = {"下午", "傍晚", "晚上", "晚间", "夜里", "下班后", "afternoon", "evening", "night", "after work"}
_ANY_TIME = {"随时", "都可以", "都行", "不限", "任意", "无", "无要求", "any", "anytime", "any time", "-", "—"}
_WEEKEND = ("周末", "週末", "周六", "周日", "星期六", "星期日", "星期天", "礼拜六", "礼拜天", "休息日", "weekend",
            "saturday", "sunday")
_WEEKDAY = ("工作日", "平日", "周一到周五", "周一至周五", "weekday", "workday", "mon-fri")


def _hour_in(token: str, period: str | None) -> int:
    value = int(chinese_number(token)) if not token.isdigit() else int(token)
    if period in _PM_PERIODS and value < 12:
        value += 12
    return value


def parse_contact_time(text: str) -> ContactTime:
    """A calling note as constraints, clause by clause: 中午别打 / 除了中午都行 / 晚上不方便 exclude their
    hours, 周末不要打 leaves weekdays; the other clauses (下午, 9-11点, 工作日晚上) are preferences."""
    raw = str(text).strip()
    clauses = [c.strip() for c in _CLAUSES.split(raw) if c.strip()] or [raw]
    if len(clauses) == 1 and not _negated(raw):
        return _preference(raw)
    prefer, avoid, days = _clause_constraints(clauses)
    if prefer is None and avoid is None and days == "any":
        raise ValueError(f"{raw!r} is not a time of day")
    start, end = (prefer.start, prefer.end) if prefer is not None else (None, None)
    if avoid is not None and start is not None and avoid[0] <= start and end <= avoid[1]:
        start = end = None  # a preference inside the excluded hours is no preference
    return ContactTime(start, end, days, avoid)


def _negated(clause: str) -> bool:
    return any(w in clause.lower() for w in _NEGATIONS)


def _clause_constraints(clauses: list[str]) -> tuple[ContactTime | None, tuple[int, int] | None, str]:
    """(the last preferred time, the last excluded hours, the days): a negated clause excludes, and
    周末不要打 turns into weekdays; a later clause overrides an earlier one."""
    prefer: ContactTime | None = None
    avoid: tuple[int, int] | None = None
    days = "any"
    for clause in clauses:
        try:
            read = _preference(clause)
        except ValueError:
            continue  # 都行 / 谢谢: no time in this clause
        if _negated(clause):
            if read.start is not None:
                avoid = (read.start, read.end)
            if read.days != "any":
                days = "weekday" if read.days == "weekend" else "weekend"
        elif read.start is not None or read.days != "any":
            prefer = read
            days = read.days if read.days != "any" else days
    return prefer, avoid, days


def _preference(raw: str) -> ContactTime:
    """下午, 晚上7点, 9-11点, 9:00-11:30, 工作日晚上, 周末, 下午3点半, after 6pm, 7pm, 19:30."""
    low = raw.lower()
    if low in _ANY_TIME:
        return ContactTime(None, None)
    days = "weekend" if any(w in low for w in _WEEKEND) else "weekday" if any(w in low for w in _WEEKDAY) else "any"
    period = next((p for p in sorted(_PERIODS, key=len, reverse=True) if p in low), None)
    num = rf"(\d{{1,2}}|[{_ONE_TO_TEN}]{{1,3}})"
    rng = re.search(num + r"\s*(?::\d{2}|点半?|[点时]|am|pm)?\s*(?:-|~|～|—|到|至|to)\s*" + num
                    + r"\s*(?::\d{2})?\s*(点|时|am|pm)?", low)
    if rng:
        pm = "pm" in rng.group(0)
        start, end = _hour_in(rng.group(1), period), _hour_in(rng.group(2), period)
        if pm and end < 12:
            start, end = start + 12 if start < 12 else start, end + 12
        if end <= start and end < 12:
            end += 12  # 9-2点 = 9:00-14:00
        return _checked(raw, start, end, days)
    single = re.search(num + r"\s*(:\d{2}|点半?|[点时]|\s*am|\s*pm)", low)
    if single:
        hour = _hour_in(single.group(1), period)
        if "pm" in single.group(2) and hour < 12:
            hour += 12
        return _checked(raw, hour, min(hour + 2, 24), days)
    if re.fullmatch(r"\d{1,2}", low):
        return _checked(raw, int(low), min(int(low) + 2, 24), days)
    if period:
        start, end = _PERIODS[period]
        return ContactTime(start, end, days)
    if days != "any":
        return ContactTime(None, None, days)
    raise ValueError(f"{raw!r} is not a time of day")


def _checked(raw: str, start: int, end: int, days: str) -> ContactTime:
    if not (0 <= start <= 23 and 0 < end <= 24 and start < end):
        raise ValueError(f"{raw!r} is not a time of day (hours 0-23)")
    return ContactTime(start, end, days)


_TRUE = {"1", "true", "yes", "y", "t", "是", "有", "对", "会员", "√", "✓", "✔", "vip", "svip", "已开通", "开通"}
_FALSE = {"0", "false", "no", "n", "f", "否", "无", "不是", "没有", "非会员", "普通", "普通用户", "×", "✗", "未开通", "-"}
# Loyalty levels: any of these words means the customer is in the programme.
_MEMBER_LEVEL_WORDS = ("会员", "vip", "金", "银", "铜", "钻", "白金", "铂金", "黑卡", "plus", "gold", "silver", "platinum",
                       "diamond", "premium", "星", "级", "卡")


def parse_yes_no(text: str) -> bool:
    """是/否, Y/N, √/×, VIP, 金卡 (any member level means yes)."""
    low = str(text).strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE or low.startswith(("普通", "非", "不是", "无", "未", "游客", "访客")):
        return False
    if any(w in low for w in _MEMBER_LEVEL_WORDS):
        return True
    raise ValueError(f"{text!r} is not yes/no")


def parse_gender(text: str) -> str:
    low = str(text).strip().lower()
    if low in {"男", "男士", "先生", "m", "male", "man", "1", "男性"}:
        return "male"
    if low in {"女", "女士", "小姐", "f", "female", "woman", "2", "女性"}:
        return "female"
    raise ValueError(f"{text!r} is not a gender (男/女)")


def parse_share(text: str) -> Parsed:
    """0.3, 30%, 三成; 1 < x <= 100 without a % sign is read as a percentage, with a note."""
    raw = str(text).strip()
    match = re.fullmatch(f"([{_ONE_TO_TEN}])成", raw)
    if match:
        return Parsed(chinese_number(match.group(1)) / 10)
    percent = raw.endswith(("%", "％"))
    value = amount(raw.rstrip("%％"))
    if percent:
        value /= 100
    elif 1 < value <= 100:
        return Parsed(value / 100, f"read as {value:g} %")
    if not 0 <= value <= 1:
        raise ValueError(f"{raw!r} is not a share between 0 and 1 (or 0%-100%)")
    return Parsed(value)
