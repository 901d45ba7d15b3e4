"""Answering-machine detection from the first callee turn: voicemail phrases, or a long greeting.

A person answering says a few words ("hello?", "喂，你好") and waits; a recorded greeting talks on
for many seconds from the moment the line opens. The ASR of a machine greeting is often garbled, so
Chinese phrases are also matched on their fuzzy pinyin.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicebot.dialogue.nlu.normalize import normalize, pinyin_tokens
from voicebot.locales import is_chinese

PHRASE_WINDOW_S = 20.0
PICKUP_S = 1.5  # a first turn starting this soon after the answer began at pickup


@dataclass(frozen=True)
class AmdVerdict:
    machine: bool
    reason: str = ""


class AnsweringMachineDetector:
    def __init__(self, phrases: list[str], locale: str, long_first_turn_s: float) -> None:
        self.locale = locale
        self.long_first_turn_s = long_first_turn_s
        self.phrases = [normalize(p, locale) for p in phrases if p.strip()]
        self._zh = is_chinese(locale)
        self._pinyin = [self._py(p) for p in self.phrases] if self._zh else []

    @staticmethod
    def _py(text: str) -> str:
        return " ".join(t for t in pinyin_tokens(text.replace(" ", ""), fuzzy=True))

    def check_turn(self, text: str, start_s: float, end_s: float, understood: bool, first: bool) -> AmdVerdict:
        """Phrases count in any turn that starts within ``PHRASE_WINDOW_S`` of the answer (greetings
        pause between sentences, so the phrase may come in the second or third turn); the
        long-greeting rule only for the first turn."""
        if start_s > PHRASE_WINDOW_S:
            return AmdVerdict(False)
        norm = normalize(text, self.locale)
        for phrase in self.phrases:
            if phrase and phrase in norm:
                return AmdVerdict(True, f"voicemail phrase {phrase!r}")
        if self._zh and norm:
            # Also the raw text's sound: normalising turns 六言 into "6言", which no longer sounds like 留言.
            heard = f"{self._py(norm)} | {self._py(text)}"
            for phrase, py in zip(self.phrases, self._pinyin):
                if len(phrase) >= 2 and py in heard:
                    return AmdVerdict(True, f"voicemail phrase {phrase!r} (by sound)")
        duration = end_s - start_s
        # A person picks up with a word or two and waits; a recorded greeting starts at pickup and
        # talks on. Such a turn is a machine whatever the words (ASR may even find an intent in
        # "I can't talk now, leave a message"); a long turn later in the call only when it means nothing.
        at_pickup = start_s <= PICKUP_S
        if first and duration >= self.long_first_turn_s and (at_pickup or not understood):
            where = "from pickup" if at_pickup else "not understood"
            return AmdVerdict(True, f"first callee turn {duration:.1f} s long without pause ({where})")
        return AmdVerdict(False)
