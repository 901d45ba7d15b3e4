"""The one table of the locales voicebot speaks: what each means to the engines.

Adding a language starts here; dialplans, voices and console strings then name the locale.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocaleInfo:
    code: str  # BCP 47, as dialplans, campaigns and settings write it
    asr_language: str  # Whisper's language code
    name: str  # as the console shows it, in the language itself


LOCALES: dict[str, LocaleInfo] = {
    "en-US": LocaleInfo("en-US", "en", "English"),
    "zh-CN": LocaleInfo("zh-CN", "zh", "中文"),
}


def whisper_language(locale: str) -> str | None:
    """Whisper's language for ``locale``; None (let it detect) for a locale not in the table."""
    info = LOCALES.get(locale)
    return info.asr_language if info else None


def is_chinese(locale: str) -> bool:
    """zh-CN, zh-TW, zh, or Whisper's 'zh': the locales written without spaces between words."""
    return locale.lower().startswith("zh")
