"""The one-question satisfaction survey after a call that reached a conclusion (the seed's ≥ 85).

Answered with a key (1-5) or in words; the score is 1-5 (满意 5, 一般 3, 不满意 1, in between
比较满意 4, 不太满意 2; the same in English). The campaign reports CSAT as the share answering 4
or 5, with n.
"""

from __future__ import annotations

import re

from voicebot.locales import locale_info
from voicebot.zh_numerals import digit_values

QUESTION = {
    "zh-CN": "最后耽误您几秒钟，请您给这次通话打个分：非常满意请按5，不满意请按1，也可以直接说满意、一般或者不满意。",
    "en-US": "One last question: how satisfied were you with this call? Press 5 for very satisfied down to 1 for "
             "not satisfied, or just say satisfied, okay or not satisfied.",
}
THANKS = {"zh-CN": "感谢您的评价，再见！", "en-US": "Thank you for your feedback. Goodbye!"}
# Asked once more when the answer was not understood: keys work whatever the line does to words.
ASK_AGAIN = {"zh-CN": "不好意思，没有听清楚。满意请按5，一般请按3，不满意请按1。",
             "en-US": "Sorry, I didn't catch that. Press 5 if you were satisfied, 3 for okay, or 1 if not."}
# No answer was heard: no thanks for a rating nobody gave.
GOODBYE = {"zh-CN": "好的，不打扰您了，再见！", "en-US": "All right, goodbye!"}
# Phrase -> score, longest phrases first so 不满意 is not read as 满意.
SPOKEN: dict[str, list[tuple[str, int]]] = {
    "zh-CN": [("非常不满意", 1), ("很不满意", 1), ("特别不满意", 1), ("不太满意", 2), ("不怎么满意", 2), ("不满意", 1),
              ("非常满意", 5), ("很满意", 5), ("特别满意", 5), ("比较满意", 4), ("还算满意", 4), ("挺满意", 4),
              ("满意", 5), ("还行", 3), ("一般般", 3), ("一般", 3), ("凑合", 3), ("还可以", 4), ("很好", 5),
              ("很不好", 1), ("不太好", 2), ("不怎么样", 2), ("不咋地", 2), ("不好", 1), ("不行", 1), ("非常好", 5),
              ("特别好", 5), ("挺好", 4), ("不错", 4), ("太差", 1), ("很差", 1), ("差", 1)],
    "en-US": [("very dissatisfied", 1), ("not satisfied", 1), ("dissatisfied", 1), ("unsatisfied", 1),
              ("not very satisfied", 2), ("not really satisfied", 2), ("very satisfied", 5), ("extremely satisfied", 5),
              ("fairly satisfied", 4), ("quite satisfied", 4), ("satisfied", 5), ("very unhappy", 1), ("unhappy", 1),
              ("very happy", 5), ("happy", 5), ("excellent", 5), ("great", 5), ("very good", 5), ("pretty good", 4),
              ("good", 4), ("could be better", 2), ("okay", 3), ("ok", 3), ("alright", 3), ("all right", 3), ("so so", 3),
              ("average", 3), ("fine", 3), ("bad", 1), ("terrible", 1), ("awful", 1), ("horrible", 1), ("poor", 1)],
}
_ZH_SCORES = {c: v for c, v in digit_values().items() if 1 <= v <= 5}  # 一二两三四五
_DIGITS = {**_ZH_SCORES, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# A key said as a digit stands alone: "X1" and "x 1" are mishearings of "excellent", not a 1 (a CJK
# 分 may follow); a lone letter other than "a" or "I" before it is such a piece ("give it a 5" counts).
_SCORE = re.compile(rf"(?<![0-9a-z])(?<!\b[b-hj-z] )([1-5])(?![0-9a-z])|([{''.join(_ZH_SCORES)}])分"
                    r"|\b(one|two|three|four|five)\b")
# A rating with "not" in front turns over: "not great" is a 2, "not bad" a 4; 不是很满意, 说不上满意
# and 不是很好 are 2s, not the 5 of the 很满意 in them (不满意 and 不太满意 are in the table itself).
_NEGATED = re.compile(r" (?:not|isn t|wasn t|not really|not very|not that|not so|not too) $")


_ZH_NEGATED = re.compile(r"[不没]")
_ZH_NEGATION_REACH = 3  # characters before the phrase: 不是很|说不上|没有很


def _negated(score: int) -> int:
    return 2 if score >= 3 else 4


def score_from_dtmf(digit: str) -> int | None:
    return int(digit) if digit in ("1", "2", "3", "4", "5") else None


def score_from_speech(text: str, locale: str) -> int | None:
    """1-5 from the answer ("5分", "打五分", "满意", "not satisfied"), or None."""
    low = text.lower().strip()
    m = _SCORE.search(low)
    if m:
        return int(m.group(1)) if m.group(1) else _DIGITS[m.group(2) or m.group(3)]
    info = locale_info(locale)
    if info.spaced_words:  # match whole words: "no" must not match inside "know"
        low = " " + re.sub(r"[^a-z ]", " ", low) + " "
        low = re.sub(r"\s+", " ", low)
    for phrase, score in SPOKEN[info.code]:
        if info.spaced_words:
            at = low.find(f" {phrase} ")
            if at >= 0:
                # "not satisfied" has its own entry (listed first); "not great", "not bad" turn over here.
                return _negated(score) if _NEGATED.search(low[:at + 1]) else score
        elif phrase in low:
            at = low.find(phrase)
            if score >= 4 and _ZH_NEGATED.search(low[max(0, at - _ZH_NEGATION_REACH):at]):
                return 2
            return score
    return None


# The answers people give most, first: state-aware recognition scores these against the audio
# (dialogue/expected.py), so the list stays short; the phonetic matcher also takes SPOKEN.
COMMON = {"zh-CN": [("满意", 5), ("一般", 3), ("不满意", 1), ("很满意", 5), ("非常满意", 5), ("还行", 3), ("还可以", 4),
                    ("比较满意", 4), ("不太满意", 2), ("挺好", 4), ("不错", 4), ("很差", 1), ("五分", 5), ("四分", 4),
                    ("三分", 3), ("两分", 2), ("一分", 1)],
          "en-US": [("satisfied", 5), ("okay", 3), ("not satisfied", 1), ("very satisfied", 5), ("good", 4),
                    ("great", 5), ("fine", 3), ("bad", 1), ("terrible", 1), ("five", 5), ("four", 4), ("three", 3),
                    ("two", 2), ("one", 1)]}


def rating_class(score: int) -> str:
    """What the CSAT report makes of a score: 4 and 5 both count as satisfied."""
    return "satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"


def expected(locale: str, wide: bool = False) -> list[tuple[str, int]]:
    """The survey's short spoken answers: the common ones, or (``wide``) every phrase and score."""
    key = locale_info(locale).code
    common = COMMON[key]
    return common + [p for p in SPOKEN[key] if p not in common] if wide else common
