"""The locale table is the one place that knows what a locale implies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voicebot.locales import LOCALES, default_currency, is_chinese, locale_info, whisper_language

VOICEBOT = Path(__file__).resolve().parents[1] / "voicebot"


def test_no_code_tests_a_locale_by_its_letters():
    # Built from pieces so this file does not match its own scan.
    pattern = re.compile(r"startswith\(\s*['\"]" + "zh" + r"['\"]\s*\)")
    offenders = [f"{path.relative_to(VOICEBOT.parent)}:{n}"
                 for path in VOICEBOT.rglob("*.py") if path.name != "locales.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == [], "ask voicebot.locales (is_chinese, locale_info) instead"


@pytest.mark.parametrize(("locale", "chinese", "code", "family", "spaced", "whisper", "currency"), [
    ("zh-CN", True, "zh-CN", "zh", False, "zh", "CNY"),
    ("zh-TW", True, "zh-CN", "zh", False, None, "CNY"),
    ("zh", True, "zh-CN", "zh", False, None, "CNY"),
    ("en-US", False, "en-US", "en", True, "en", "USD"),
    ("en", False, "en-US", "en", True, None, "CNY"),  # not in the table: the report default stays CNY
    ("fr-FR", False, "en-US", "en", True, None, "CNY"),
    ("", False, "en-US", "en", True, None, "CNY"),
])
def test_table_answers(locale, chinese, code, family, spaced, whisper, currency):
    info = locale_info(locale)
    assert is_chinese(locale) is chinese
    assert (info.code, info.family, info.spaced_words) == (code, family, spaced)
    assert whisper_language(locale) == whisper
    assert default_currency(locale) == currency


def test_every_entry_is_keyed_by_its_own_code():
    assert all(code == info.code for code, info in LOCALES.items())
