"""Lexical emotion cues in a callee's transcript, Chinese and English.

Phrase lists, not a model: every hit is visible in the reading's evidence and easy to extend.
English matches whole words (case-insensitive); Chinese matches substrings, with a negation guard
(不好 / 不可以 / not good are not positive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

AGITATED_EN = [
    "ridiculous", "stop calling", "don't call", "do not call", "scam", "scammer", "fraud", "complaint",
    "complain", "sue you", "lawyer", "harassment", "harassing", "annoying", "leave me alone", "shut up",
    "go to hell", "damn", "hell", "fuck", "fucking", "shit", "idiot", "stupid", "useless", "waste of time",
    "how many times", "i already told you", "are you deaf", "unacceptable", "angry",
    "sick of", "fed up", "what the", "get lost", "take me off", "remove my number", "report you",
]  # fmt: skip
AGITATED_ZH = [
    "投诉", "骗子", "诈骗", "骗人", "烦死", "烦不烦", "别再打", "不要再打", "别打了", "滚", "有病", "神经病",
    "去死", "他妈", "妈的", "傻", "闭嘴", "举报", "报警", "骚扰", "听不懂", "说了多少遍", "我说了",
    "浪费时间", "气死", "什么玩意", "搞什么", "凭什么", "太过分", "受不了", "别烦我",
]  # fmt: skip
POSITIVE_EN = [
    "great", "sounds good", "good", "wonderful", "excellent", "perfect", "awesome", "thank you", "thanks",
    "love to", "i'd love", "interested", "tell me more", "yes please", "sure", "happy to", "nice", "cool",
    "fantastic", "amazing", "brilliant", "appreciate",
]  # fmt: skip
POSITIVE_ZH = [
    "好的", "好啊", "太好了", "不错", "可以", "行啊", "没问题", "谢谢", "感谢", "感兴趣", "挺好", "很好",
    "好呀", "愿意", "想了解", "棒", "满意", "方便",
]  # fmt: skip
# A refusal is an answer, not anger: "不需要，谢谢" twice must not read as sustained anger. These only
# keep the positive words inside them ("interested", 需要) from counting; an angry refusal is caught by
# its other words (我说了不需要, "I already told you").
REFUSAL_EN = ["not interested", "no thanks", "no thank you", "not for me"]
REFUSAL_ZH = ["不需要", "没兴趣", "不感兴趣", "不用了"]
WITHDRAWN_EN = [
    "whatever", "i don't know", "i don't care", "don't care", "i guess", "fine", "meh", "hmm", "mm",
    "uh huh", "if you say so", "doesn't matter", "no idea", "maybe",
]  # fmt: skip
WITHDRAWN_ZH = ["随便", "无所谓", "不知道", "都行", "再说吧", "看情况", "还行吧", "嗯", "哦", "额", "呃", "算了"]

_NEGATION_EN = re.compile(r"\b(not|no|never|don't|isn't|wasn't|ain't)\s+(\w+\s+)?$")
_NEGATION_ZH = ("不", "没", "别", "未")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_EN_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class LexicalCues:
    agitated: list[str] = field(default_factory=list)
    positive: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    short_answer: bool = False  # a reply of one or two words / characters: weak disengagement cue
    n_tokens: int = 0

    @property
    def any(self) -> bool:
        return bool(self.agitated or self.positive or self.withdrawn or self.short_answer)


def _en_hits(text: str, phrases: list[str], guard_negation: bool) -> list[str]:
    hits = []
    for phrase in phrases:
        for m in re.finditer(r"(?<![a-z'])" + re.escape(phrase) + r"(?![a-z'])", text):
            if guard_negation and _NEGATION_EN.search(text[: m.start()]):
                continue
            hits.append(phrase)
            break
    return _drop_contained(hits)


def _zh_hits(text: str, phrases: list[str], guard_negation: bool) -> list[str]:
    hits = []
    for phrase in phrases:
        start = text.find(phrase)
        while start >= 0:
            negated = guard_negation and start > 0 and text[start - 1] in _NEGATION_ZH
            if not negated:
                hits.append(phrase)
                break
            start = text.find(phrase, start + 1)
    return _drop_contained(hits)


def _drop_contained(hits: list[str]) -> list[str]:
    """"sounds good" and "good" are one cue, not two."""
    return [h for h in hits if not any(h != other and h in other for other in hits)]


def lexical_cues(text: str) -> LexicalCues:
    text = (text or "").strip().lower()
    if not text:
        return LexicalCues()
    en_words = _EN_WORD.findall(text)
    cjk = _CJK.findall(text)
    n_tokens = len(en_words) + len(cjk)
    agitated = _en_hits(text, AGITATED_EN, False) + _zh_hits(text, AGITATED_ZH, False)
    positive = _en_hits(text, POSITIVE_EN, True) + _zh_hits(text, POSITIVE_ZH, True)
    # Positive words inside an agitated phrase or a refusal ("not interested", 不感兴趣) are not positive.
    refusals = _en_hits(text, REFUSAL_EN, False) + _zh_hits(text, REFUSAL_ZH, False)
    positive = [p for p in positive if not any(p in a for a in agitated + refusals)]
    withdrawn = _en_hits(text, WITHDRAWN_EN, False) + _zh_hits(text, WITHDRAWN_ZH, False)
    # 嗯/哦 are back-channels inside longer replies; only a bare 嗯 is a withdrawn answer.
    if n_tokens > 3:
        withdrawn = [w for w in withdrawn if w not in ("嗯", "哦", "额", "呃", "hmm", "mm", "uh huh")]
    short = 0 < n_tokens <= 2 and not positive and not agitated
    return LexicalCues(agitated, positive, withdrawn, short, n_tokens)
