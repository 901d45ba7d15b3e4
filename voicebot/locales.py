"""The one table of the locales voicebot speaks: what each means to the engines.

Adding a language starts here; dialplans, voices and console strings then name the locale.
Code asks this table what a locale implies (``is_chinese``, ``locale_info(locale).spaced_words``)
rather than testing the code's letters itself, so a new language changes one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocaleInfo:
    code: str  # BCP 47, as dialplans, campaigns and settings write it
    asr_language: str  # Whisper's language code
    name: str  # as the console shows it, in the language itself
    family: str  # the language family: picks text normalisation, number reading and per-language tables
    spaced_words: bool  # words are separated by spaces (tokenise by word), not by characters
    currency: str  # ISO 4217 code a campaign report uses when none is configured


LOCALES: dict[str, LocaleInfo] = {
    "en-US": LocaleInfo("en-US", "en", "English", family="en", spaced_words=True, currency="USD"),
    "zh-CN": LocaleInfo("zh-CN", "zh", "中文", family="zh", spaced_words=False, currency="CNY"),
}

# A code not in the table speaks like its family's entry: zh-TW, zh and Whisper's "zh" as zh-CN;
# anything else (en, fr-FR, "") as en-US, which is what the engines always fell back to.
_CHINESE = LOCALES["zh-CN"]
_FALLBACK = LOCALES["en-US"]


def whisper_language(locale: str) -> str | None:
    """Whisper's language for ``locale``; None (let it detect) for a locale not in the table."""
    info = LOCALES.get(locale)
    return info.asr_language if info else None


def is_chinese(locale: str) -> bool:
    """zh-CN, zh-TW, zh, or Whisper's 'zh' (any case; also a shell's 'zh_CN.UTF-8')."""
    return locale.lower().startswith("zh")


def locale_info(locale: str) -> LocaleInfo:
    """The table's entry for ``locale``, else that of its family (zh-CN for any Chinese, else en-US)."""
    info = LOCALES.get(locale)
    if info is not None:
        return info
    return _CHINESE if is_chinese(locale) else _FALLBACK


def default_currency(locale: str) -> str:
    """The report currency when none is configured: the table's, else CNY (the product's home market)."""
    info = LOCALES.get(locale)
    return info.currency if info else "CNY"
