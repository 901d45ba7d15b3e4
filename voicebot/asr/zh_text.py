"""Chinese recogniser output as the dialogue wants it: simplified characters, numbers as digits.

Whisper answers in traditional characters now and then (喂，請問是哪位), and writes the same amount
as 两千九百九十九 or 2999. ``cn2an.transform`` converts every numeral character it sees, which
breaks words (一下 -> 1下, 一直 -> 1直, 十分满意 -> 10分满意, 乱七八糟 -> 乱78糟; measured in
benchmarks/asr_zh.py). So numbers are converted run by run: a lone 一/两 stays a word (一下, 两个,
as the NLU's own normaliser keeps them), fixed words and idioms that hold numerals are left alone,
and cn2an converts the rest.
"""

from __future__ import annotations

import re
import threading

from voicebot.zh_numerals import UNITS, digit_values, numeral_value

_DIGIT_VALUES = digit_values(yao=True)  # 幺三八: recognisers write 幺 in phone numbers
_DIGIT = "".join(_DIGIT_VALUES)
_NUM = _DIGIT + UNITS
# An amount: optional 百分之, a numeral run, an optional decimal part, an optional 万/亿 after it.
_NUMBER = re.compile(rf"(百分之)?([{_NUM}]+)(?:点([{_DIGIT}]+)(?![十百千]))?([万亿])?")
# Words and idioms written with numeral characters that are not numbers. Masked before converting.
# (A word followed by one of the listed characters is a number after all: 十分钟 = ten minutes.)
NOT_NUMBERS: dict[str, str] = {
    "十分": "钟", "万一": "", "千万": "元块", "一一": "", "三心二意": "", "一心一意": "", "乱七八糟": "",
    "七上八下": "", "四面八方": "", "五花八门": "", "七嘴八舌": "", "一五一十": "", "十有八九": "",
    "三三两两": "", "接二连三": "", "一清二楚": "", "独一无二": "", "三番五次": "", "九牛一毛": "",
    "二手": "", "三星": "", "万分": "", "百分百": "", "十足": "", "百货": "", "五金": "", "三思": "",
    "四季": "", "万事": "", "千方百计": "", "一干二净": "", "五湖四海": "", "十全十美": "", "百闻不如一见": "",
    "三天两头": "", "说一不二": "", "一石二鸟": "",
    # Weekdays are names, not amounts (周六 stays 周六).
    **{f"{week}{day}": "" for week in ("周", "星期", "礼拜") for day in "一二三四五六日天"},
}
_MASK = re.compile("|".join(sorted(map(re.escape, NOT_NUMBERS), key=len, reverse=True)))
_KEEP_ALONE = set("一两")  # 一下 一点 一直 一样 两个: words far more often than numbers
# A lone numeral (三, 九, 十) is a number before a measure word or unit, or at the end of a clause
# (打九折, 下午三点, 要三); before any other character it is part of a word (九死一生, 三言两语).
MEASURE_WORDS = set("元块毛角分台个号点折天年月日岁人次秒小周楼层室栋平米斤克件套只张位倍成箱瓶盒包期单"
                    "遍趟回种条根支份辆本部间级寸升度户名")
_HAN = re.compile(r"[\u4e00-\u9fff]")

_t2s = None
_t2s_lock = threading.Lock()


def to_simplified(text: str) -> str:
    """Traditional -> simplified (OpenCC t2s tables; pure Python, ~20 µs a short turn)."""
    global _t2s
    if _t2s is None:
        with _t2s_lock:
            if _t2s is None:
                from opencc import OpenCC

                _t2s = OpenCC("t2s")
    return _t2s.convert(text)


def _cn2an(s: str) -> str | None:
    value = numeral_value(s)
    return None if value is None else str(value)


def _convert(match: re.Match[str]) -> str:
    percent, run, decimals, big = match.groups()
    whole = match.group(0)
    if run in "万亿":
        return whole
    if percent and run == "百":  # 百分之百
        return "100%"
    if not percent and not decimals and _a_word_not_a_number(match, run):
        return whole
    number = _whole_number(run)
    if number is None:
        return whole
    if decimals:
        number = f"{number}.{_fraction(decimals)}"
    if big:
        number += big
    return f"{number}%" if percent else number


def _a_word_not_a_number(match: re.Match[str], run: str) -> bool:
    """A lone numeral that is part of a word (一下, 十分): one kept alone, or followed by a character
    that is no measure word."""
    if len(run) != 1:
        return False
    nxt = match.string[match.end():match.end() + 1]
    return run in _KEEP_ALONE or bool(_HAN.match(nxt) and nxt not in MEASURE_WORDS)


def _whole_number(run: str) -> str | None:
    if len(run) > 1 and all(c in _DIGIT for c in run):  # read out digit by digit: a phone or order number, a year
        return "".join(str(_DIGIT_VALUES[c]) for c in run)
    return _cn2an(run)


def _fraction(decimals: str) -> str:
    """点五 -> 5; 点一四 digit by digit -> 14."""
    return _cn2an(decimals) if len(decimals) == 1 else "".join(_cn2an(c) or c for c in decimals)  # type: ignore[return-value]


def numerals_to_digits(text: str) -> str:
    """两千九百九十九元 -> 2999元, 幺三八 -> 138, 百分之二十 -> 20%, 九折 -> 9折; 一下, 一点, 万一,
    十分满意, 乱七八糟 stay as they are."""
    if not any(c in _NUM for c in text):
        return text
    masked: list[str] = []

    def mask(m: re.Match[str]) -> str:
        follow = NOT_NUMBERS[m.group(0)]
        nxt = text[m.end():m.end() + 1]
        if follow and nxt and nxt in follow:
            return m.group(0)
        masked.append(m.group(0))
        return f"\x00{len(masked) - 1}\x00"

    out = _NUMBER.sub(_convert, _MASK.sub(mask, text))
    return re.sub(r"\x00(\d+)\x00", lambda m: masked[int(m.group(1))], out)


def clean_zh(text: str) -> str:
    """What the dialogue gets from a Chinese transcript."""
    return numerals_to_digits(to_simplified(text))
