"""The Chinese-numeral module, and a guard that no other copy of its digit table appears."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from voicebot.zh_numerals import DIGITS, UNITS, chinese_number, digit_chars, digit_values, numeral_value, read_digits


@pytest.mark.parametrize("options, extra", [
    ({}, {"两": 2}),
    ({"yao": True}, {"两": 2, "幺": 1}),
    ({"liang": False}, {}),
    ({"lia": True}, {"两": 2, "俩": 2}),
    ({"financial": True}, {"两": 2, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}),
])
def test_digit_values_are_the_plain_digits_plus_the_variants_asked_for(options: dict[str, bool],
                                                                      extra: dict[str, int]) -> None:
    plain = {c: v for v, c in enumerate(DIGITS)} | {"〇": 0}
    assert digit_values(**options) == plain | extra
    assert sorted(digit_chars(**options)) == sorted(plain | extra)


def test_units() -> None:
    assert UNITS == "十百千万亿"


@pytest.mark.parametrize("digits, one, spoken", [
    ("13812345678", "幺", "幺三八幺二三四五六七八"),
    ("2025", "一", "二零二五"),
    ("10-01", "幺", "幺零零幺"),  # separators are not read
    ("", "幺", ""),
])
def test_read_digits(digits: str, one: str, spoken: str) -> None:
    assert read_digits(digits, one=one) == spoken


@pytest.mark.parametrize("n, spoken", [
    (0, "零"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"), (99, "九十九"), (105, "一百零五"),
    (200, "两百"), (2000, "两千"), (10010, "一万零一十"), (20000, "两万"), (-3, "负三"),
    (100_000_000, "一亿"),
])
def test_chinese_number(n: int, spoken: str) -> None:
    assert chinese_number(n) == spoken


@pytest.mark.parametrize("text, value", [
    ("两千九百九十九", 2999), ("一万二", 12000), ("三千五", 3500), ("十二", 12), ("一百零五", 105),
    ("幺三八", 138), ("俩", 2), ("壹佰", 100), ("三点五", 3.5), ("二点零", 2.0), ("零", 0),
    ("乱七八糟", None), ("百", None),
])
def test_numeral_value(text: str, value: int | float | None) -> None:
    result = numeral_value(text)
    assert result == value and type(result) is type(value)


def test_numeral_value_reads_what_chinese_number_says() -> None:
    for n in [*range(0, 1200), 10_010, 20_000, 123_456, 100_000_000, 987_654_321]:
        assert numeral_value(chinese_number(n)) == n


# A digit table written out: 7+ ascending digits 一二三四五六七 with only quotes, colons, values,
# commas or variant digits (两, 俩, 壹贰…) between them ("一": 1, "二": 2 ...). Weekday lists
# (一二三四五六日) are shorter, and a phone number in prose (一三八、一二三四、五六七八) has
# other separators.
_BETWEEN = "[\\s\"':,0-9]*"
_TABLE = re.compile("一" + "".join(f"{_BETWEEN}(?:[两俩幺〇壹贰叁肆伍陆柒]{_BETWEEN})*{d}" for d in "二三四五六七"))


# Each caller keeps the characters it accepted before the tables were merged.
@pytest.mark.parametrize("module, name, characters", [
    ("voicebot.masking", "CN_DIGITS", "零〇一二三四五六七八九幺两"),
    ("voicebot.pii", "CN_DIGIT_VALUES", "零〇一幺二两三四五六七八九"),
    ("voicebot.asr.zh_text", "_NUM", "零〇幺一二两三四五六七八九十百千万亿"),
    ("voicebot.asr.zh_text", "_DIGIT", "零〇幺一二两三四五六七八九"),
    ("voicebot.dialogue.callback_phrases", "_ZH_DIGITS", "零〇一二两俩三四五六七八九"),
    ("voicebot.dialogue.nlu.normalize", "ZH_DIGITS", "零〇一二两三四五六七八九"),
    ("voicebot.dialogue.survey", "_ZH_SCORES", "一二两三四五"),
    ("voicebot.campaign.freeform", "_CN_DIGITS", "零〇一壹二两贰三叁四肆五伍六陆七柒八捌九玖"),
    ("voicebot.campaign.freeform", "_ONE_TO_TEN", "一二两三四五六七八九十"),
])
def test_each_caller_keeps_its_characters(module: str, name: str, characters: str) -> None:
    assert sorted(getattr(importlib.import_module(module), name)) == sorted(characters)


def test_callers_keep_their_values() -> None:
    from voicebot.campaign import freeform
    from voicebot.dialogue import callback_phrases
    from voicebot.pii import CN_DIGIT_VALUES

    assert CN_DIGIT_VALUES["幺"] == "1" and CN_DIGIT_VALUES["两"] == "2" and CN_DIGIT_VALUES["〇"] == "0"
    assert callback_phrases._ZH_DIGITS["俩"] == 2 and freeform._CN_DIGITS["玖"] == 9
    # callback_time said clock times and durations with its own reader, the same below 100.
    assert all(chinese_number(n) == old_small_reading(n) for n in range(100))


def old_small_reading(n: int) -> str:
    """How callback_time said numbers below 100 before it used chinese_number."""
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def test_no_other_copy_of_the_digit_table() -> None:
    root = Path(__file__).resolve().parents[1] / "voicebot"
    copies = [f"{path.relative_to(root)}:{number}: {line.strip()}"
              for path in sorted(root.rglob("*.py")) if path.name != "zh_numerals.py"
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if _TABLE.search(line)]
    assert not copies, "use voicebot.zh_numerals instead of:\n" + "\n".join(copies)


def test_the_guard_sees_a_table() -> None:
    assert _TABLE.search('_D = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}')
    assert _TABLE.search('NUM = "[零〇一二三四五六七八九十]"')
    assert not _TABLE.search('WEEK = "一二三四五六日"')
