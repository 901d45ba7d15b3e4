"""The recogniser's initial prompt built from a dialplan's own words (company, product, offers).

Whisper reads a previous-text prompt as context: names it has seen there it spells the same way
(明亮家居, not 明亮加具). Whether that helps more than it costs (a longer prompt also gives the
decoder more to copy on unclear audio) is measured in benchmarks/asr_zh.py; ``asr.domain_prompt``
turns it on.
"""

from __future__ import annotations

import re
from typing import Mapping

from voicebot.locales import is_chinese

MAX_CHARS = 80  # ~60-100 tokens: every decoding step attends to the prompt
_CLAUSE = re.compile(r"[，,。；;：:、！!？?]")


def domain_prompt(variables: Mapping[str, str], offers: Mapping[str, str], locale: str) -> str:
    """'明亮家居，清风三代空气净化器，专属满减券，限时阶梯优惠。' (first clause of each offer)."""
    zh = is_chinese(locale)
    pieces: list[str] = []
    for key in ("company", "product"):
        value = str(variables.get(key) or "").strip()
        if value:
            pieces.append(value)
    for text in offers.values():
        first = _CLAUSE.split(str(text))[0].strip()
        if first and "{" not in first:
            pieces.append(first)
    out, seen = [], set()
    for p in pieces:
        if p not in seen:
            seen.add(p)
            out.append(p)
    sep, end = ("，", "。") if zh else (", ", ".")
    text = ""
    for p in out:
        candidate = f"{text}{sep}{p}" if text else p
        if len(candidate) > MAX_CHARS:
            break
        text = candidate
    return text + end if text else ""
