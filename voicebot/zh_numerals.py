"""Chinese numerals, held once: digit characters and their values, unit characters, the
digit-by-digit and cardinal readings, and a numeral -> number parser built on ``cn2an``.

Callers differ in which variants they accept, on purpose: 幺 (one, said in phone numbers and
codes) is a digit for ASR cleanup and masking but not for the CRM importer; 俩 (two, colloquial)
only where people say durations and times; the financial forms 壹贰叁 only where people type
amounts. So the variants are opt-in (``digit_values``), and each caller builds its own character
class from the same table.

This module is the bottom layer: it imports nothing from voicebot.
"""

from __future__ import annotations

import re
import warnings

# Index = value.
DIGITS = "零一二三四五六七八九"
# Digit by digit (phone, order, verification numbers): 1 is 幺, so it is never heard as 7.
DIGITS_CODE = "零幺二三四五六七八九"

DIGIT_VALUES: dict[str, int] = {**{c: v for v, c in enumerate(DIGITS)}, "〇": 0}
YAO = "幺"  # one, in phone numbers and codes
LIANG = "两"  # two, before a measure word or a 百/千/万
LIA = "俩"  # two, colloquial (过俩小时)
FINANCIAL_DIGIT_VALUES: dict[str, int] = {c: v for v, c in enumerate("零壹贰叁肆伍陆柒捌玖") if v}

SMALL_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
FINANCIAL_UNITS: dict[str, int] = {"拾": 10, "佰": 100, "仟": 1000}
BIG_UNITS: dict[str, int] = {"万": 10_000, "亿": 100_000_000}
TRADITIONAL_BIG_UNITS: dict[str, int] = {"萬": 10_000}
UNITS = "".join(SMALL_UNITS) + "".join(BIG_UNITS)  # 十百千万亿

_SMALL_UNIT_NAMES = ["", "十", "百", "千"]


def digit_values(*, yao: bool = False, liang: bool = True, lia: bool = False,
                 financial: bool = False) -> dict[str, int]:
    """零〇一…九 -> 0-9, plus the variants a caller accepts."""
    values = dict(DIGIT_VALUES)
    if yao:
        values[YAO] = 1
    if liang:
        values[LIANG] = 2
    if lia:
        values[LIA] = 2
    if financial:
        values.update(FINANCIAL_DIGIT_VALUES)
    return values


def digit_chars(*, yao: bool = False, liang: bool = True, lia: bool = False, financial: bool = False) -> str:
    """The digit characters of ``digit_values`` as one string, for a regex character class."""
    return "".join(digit_values(yao=yao, liang=liang, lia=lia, financial=financial))


def read_digits(digits: str, one: str = YAO) -> str:
    """ASCII digits said one by one; ``one`` is 幺 for codes and phone numbers, 一 for years.
    Anything that is not a digit is dropped."""
    table = DIGITS_CODE if one == YAO else DIGITS
    return "".join(table[int(c)] if c.isdigit() else "" for c in digits)


def chinese_number(n: int) -> str:
    """Cardinal reading: 105 -> 一百零五, 12 -> 十二, 10010 -> 一万零一十, 20000 -> 两万."""
    if n < 0:
        return "负" + chinese_number(-n)
    text = _cardinal(n, leading=True)
    # 2 leading a 百/千/万/亿 group is 两 in speech (两百, 两千, 两万), but never 两十.
    return re.sub(r"(?:(?<=^)|(?<=[万亿零]))二(?=[百千万亿])", LIANG, text)


def _cardinal(n: int, leading: bool) -> str:
    if n == 0:
        return DIGITS[0]
    for size, name in ((100_000_000, "亿"), (10_000, "万")):
        if n >= size:
            head, rest = divmod(n, size)
            tail = ""
            if rest:
                tail = (DIGITS[0] if rest < size // 10 else "") + _cardinal(rest, leading=False)
            return _cardinal(head, leading) + name + tail
    out, zero = "", False
    digits = str(n)
    for i, ch in enumerate(digits):
        d = int(ch)
        unit = _SMALL_UNIT_NAMES[len(digits) - 1 - i]
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += DIGITS[0]
            zero = False
        # 12 is 十二, but 10010 is 一万零一十: the bare 十 only opens a whole number.
        out += ("" if (d == 1 and unit == "十" and i == 0 and leading) else DIGITS[d]) + unit
    return out


def numeral_value(text: str) -> int | float | None:
    """两千九百九十九 -> 2999, 一万二 -> 12000, 三点五 -> 3.5, 幺三八 -> 138; None when ``cn2an``
    cannot read it. A whole number is an int unless it was written with 点."""
    import cn2an  # imported on first use: it loads its tables at import time

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns on strings it cannot parse; the caller keeps them
        try:
            value = cn2an.cn2an(text.replace(YAO, "一").replace(LIA, LIANG), "normal")
        except (ValueError, KeyError, IndexError):
            return None
    if isinstance(value, float) and value.is_integer() and "点" not in text:
        return int(value)
    return value
