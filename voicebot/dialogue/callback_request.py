"""Is a turn with a time in it a request to be called back?

"明天下午吧" and "call me after six" ask for a call; "明天会下雨吗" and "will it rain tomorrow?" ask
about something else and must never book a callback or end the call.
"""

from __future__ import annotations

_QUESTION_ENDS = ("吗", "呢", "么", "?", "？", "没有")
_QUESTION_WORDS = ("什么", "怎么", "会不会", "是不是", "能不能", "有没有", "几点", "多少", "哪", "谁", "为什么")
_EN_QUESTION_STARTS = ("what", "will", "how", "is ", "are ", "does", "do ", "did", "when", "where", "why", "who",
                       "can ", "could", "would", "should", "which")


_CALL_WORDS = ("打", "联系", "回电", "call", "ring", "phone")


def is_question(text: str) -> bool:
    """The customer asks about something else ("明天会下雨吗", "will it rain tomorrow?"): not a
    callback time. "能不能明天再打" / "can you call back after six" still ask for a call."""
    plain = text.strip().rstrip("。.!！~ ")
    if any(w in plain.lower() for w in _CALL_WORDS):
        return False
    if plain.endswith(_QUESTION_ENDS) or any(w in plain for w in _QUESTION_WORDS):
        return True
    return plain.lower().startswith(_EN_QUESTION_STARTS)


def only_a_time(text: str) -> bool:
    """"明天下午吧" / "tomorrow afternoon": a time and little else (not "what's the weather tomorrow")."""
    if any(w in text.lower() for w in ("打", "联系", "call", "ring", "phone")):
        return True
    return len(text) <= 8 if any("\u4e00" <= ch <= "\u9fff" for ch in text) else len(text.split()) <= 4
