"""Text normalisation before synthesis: numbers, money, percentages and times read per locale."""

from __future__ import annotations

import re

_DIGITS = "零一二三四五六七八九"
_UNITS = ["", "十", "百", "千"]


def chinese_number(n: int) -> str:
    if n == 0:
        return "零"
    if n >= 100_000_000:
        return chinese_number(n // 100_000_000) + "亿" + (("零" if n % 100_000_000 < 10_000_000 else "") + chinese_number(n % 100_000_000) if n % 100_000_000 else "")
    if n >= 10_000:
        rest = n % 10_000
        return chinese_number(n // 10_000) + "万" + (("零" if rest < 1000 else "") + chinese_number(rest) if rest else "")
    out, zero = "", False
    digits = str(n)
    for i, ch in enumerate(digits):
        d = int(ch)
        unit = _UNITS[len(digits) - 1 - i]
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += ("" if (d == 1 and unit == "十" and i == 0) else _DIGITS[d]) + unit
    return out


def _zh_decimal(match: re.Match) -> str:
    whole, frac = match.group(1), match.group(2)
    text = chinese_number(int(whole))
    return text + ("点" + "".join(_DIGITS[int(c)] for c in frac) if frac else "")


def normalize_zh(text: str) -> str:
    text = re.sub(r"[¥￥](\d+(?:\.\d+)?)", r"\1元", text)
    text = re.sub(r"(\d+(?:\.\d+)?)%", lambda m: "百分之" + _zh_decimal(re.match(r"(\d+)(?:\.(\d+))?", m.group(1))), text)
    text = re.sub(r"(\d{1,2}):(\d{2})", lambda m: f"{chinese_number(int(m.group(1)))}点" + (
        f"{chinese_number(int(m.group(2)))}分" if int(m.group(2)) else ""), text)
    return re.sub(r"(\d+)(?:\.(\d+))?", _zh_decimal, text)


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def english_number(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return _ONES[n // 100] + " hundred" + (" " + english_number(n % 100) if n % 100 else "")
    for value, name in ((1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand")):
        if n >= value:
            return english_number(n // value) + f" {name}" + (" " + english_number(n % value) if n % value else "")
    return str(n)


def normalize_en(text: str) -> str:
    def money(m: re.Match) -> str:
        whole, cents = int(m.group(1).replace(",", "")), m.group(2)
        out = english_number(whole) + (" dollar" if whole == 1 else " dollars")
        if cents and int(cents):
            out += " and " + english_number(int(cents)) + " cents"
        return out

    text = re.sub(r"\$(\d[\d,]*)(?:\.(\d{2}))?", money, text)
    text = re.sub(r"(\d+)%", lambda m: english_number(int(m.group(1))) + " percent", text)
    return re.sub(r"\b\d{1,9}\b", lambda m: english_number(int(m.group(0))), text)


def normalize(text: str, locale: str) -> str:
    return normalize_zh(text) if locale.lower().startswith("zh") else normalize_en(text)
