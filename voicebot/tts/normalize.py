"""Text normalisation before synthesis: numbers, money, percentages and times read per locale
(English here, Mandarin in voicebot.tts.zh_normalize)."""

from __future__ import annotations

import re
from collections.abc import Callable

# Mandarin has its own table-driven module; re-exported here for the callers of this one.
from voicebot.locales import locale_info
from voicebot.tts.zh_normalize import chinese_number, normalize_zh  # noqa: E402,F401

_ONES = ("zero one two three four five six seven eight nine ten "
         "eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen").split()
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


# Each language family of the locale table reads its own way.
_BY_FAMILY: dict[str, Callable[[str], str]] = {"zh": normalize_zh, "en": normalize_en}


def normalize(text: str, locale: str) -> str:
    return _BY_FAMILY[locale_info(locale).family](text)
