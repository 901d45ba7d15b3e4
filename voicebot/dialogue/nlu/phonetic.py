"""Hearing a short Mandarin answer by its sound: toneless pinyin with the confusions of the line.

Whisper writes a short answer through G.711 as other characters with nearly the same sound:
不是 → 普适 (b/p), 没有 → 美业, 转人工 → 传言公, 拉黑吧 → 啦黑白. The characters then mean something
else (普适 read as "yes"), but the syllables are still close. So a short transcript is compared,
syllable by syllable, with the answers the call expects now (dialogue/expected.py); folding
together the sounds the phone line and the recogniser confuse (b/p, d/t, g/k, n/l, zh/z, ch/c,
sh/s, in/ing, an/ang, en/eng, ei/ai). The closest answer is taken when it is clearly closer than
any answer of another meaning. Tones are dropped: 8 kHz audio keeps them poorly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# One table for the confusions: each sound maps to the class it is folded into.
# Aspiration pairs (b/p, d/t, g/k, z/c, zh/ch, j/q) blur on the line; so do n/l, r/l, zh/z, sh/s, f/h.
INITIAL_CLASS = {"p": "b", "t": "d", "k": "g", "l": "n", "r": "n", "zh": "z", "ch": "z", "c": "z", "sh": "s", "q": "j",
                 "x": "j", "h": "f"}
FINAL_CLASS = {"ing": "in", "ang": "an", "eng": "en", "ei": "ai", "iang": "ian", "uang": "uan", "ong": "en", "ueng": "en",
               "iong": "ien", "ie": "e", "ue": "e", "ve": "e", "uo": "o", "ou": "o", "iu": "o", "iou": "o", "ui": "ai",
               "uei": "ai", "un": "en", "uen": "en", "v": "i", "ia": "a", "ua": "a"}
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]+")
MAX_SYLLABLES = 6  # a short turn: longer ones are left to the intent classifier
MAX_DISTANCE = 0.34  # share of syllables that may differ (half a syllable per differing sound)
MIN_GAP = 0.15  # the best answer must beat the closest answer of another meaning by this much
# A negation said or not said turns an answer into its opposite (方便 / 不方便, 满意 / 不满意): adding
# or dropping one costs more than any other syllable, so no match ever hinges on it.
NEGATIONS = frozenset("不没别")
NEGATION_GAP = 2.0


@dataclass(frozen=True)
class Syllable:
    initial: str
    final: str


@dataclass(frozen=True)
class PhoneticMatch:
    text: str  # the expected answer taken
    label: str
    distance: float
    heard: str  # what the recogniser wrote


@lru_cache(maxsize=4096)
def syllables(text: str) -> tuple[Syllable, ...]:
    han = _NOT_HAN.sub("", text)
    if not han:
        return ()
    initials = lazy_pinyin(han, style=Style.INITIALS, strict=False)
    finals = lazy_pinyin(han, style=Style.FINALS, strict=False)
    return tuple(Syllable(INITIAL_CLASS.get(i, i), FINAL_CLASS.get(f, f)) for i, f in zip(initials, finals))


def _sub_cost(a: Syllable, b: Syllable) -> float:
    if a == b:
        return 0.0
    if a.initial == b.initial or a.final == b.final:
        return 0.5  # one sound of the two differs: 美业 / 没有
    return 1.0


@lru_cache(maxsize=4096)
def gaps(text: str) -> tuple[float, ...]:
    """What leaving out or adding each syllable of ``text`` costs (a negation: NEGATION_GAP)."""
    return tuple(NEGATION_GAP if c in NEGATIONS else 1.0 for c in _NOT_HAN.sub("", text))


def distance(heard: tuple[Syllable, ...], answer: tuple[Syllable, ...],
             heard_gaps: tuple[float, ...] = (), answer_gaps: tuple[float, ...] = ()) -> float:
    """Edit distance over syllables (substitutions by sound; a syllable left out or added costs its
    gap, 1 unless given), divided by the longer length."""
    if not heard or not answer:
        return 1.0
    hg = heard_gaps if len(heard_gaps) == len(heard) else (1.0,) * len(heard)
    ag = answer_gaps if len(answer_gaps) == len(answer) else (1.0,) * len(answer)
    prev = [0.0]
    for j in range(len(answer)):
        prev.append(prev[-1] + ag[j])
    for i, h in enumerate(heard, 1):
        cur = [prev[0] + hg[i - 1]] + [0.0] * len(answer)
        for j, a in enumerate(answer, 1):
            cur[j] = min(prev[j] + hg[i - 1], cur[j - 1] + ag[j - 1], prev[j - 1] + _sub_cost(h, a))
        prev = cur
    return prev[-1] / max(len(heard), len(answer))


def match(heard: str, answers: list[tuple[str, str]]) -> PhoneticMatch | None:
    """``answers``: (text, label) pairs. The closest answer when it is close and unambiguous."""
    if not _HAN.search(heard):
        return None
    h = syllables(heard)
    if not h or len(h) > MAX_SYLLABLES:
        return None
    best: dict[str, tuple[float, str]] = {}  # label -> (distance, text)
    for text, label in answers:
        d = distance(h, syllables(text), gaps(heard), gaps(text))
        if label not in best or d < best[label][0]:
            best[label] = (d, text)
    if not best:
        return None
    ranked = sorted((d, label, text) for label, (d, text) in best.items())
    d, label, text = ranked[0]
    if d > MAX_DISTANCE or (len(ranked) > 1 and ranked[1][0] - d < MIN_GAP):
        return None
    return PhoneticMatch(text, label, round(d, 3), heard)
