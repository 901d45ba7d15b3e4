"""Sentence splitting, so a reply starts playing after its first sentence renders."""

from __future__ import annotations

import re

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "no", "jr", "sr", "e.g", "i.e"}
_END = re.compile(r"([。！？；!?]+|(?<!\d)\.(?!\d)+)")


def split_sentences(text: str) -> list[str]:
    """Split after 。！？； and after . ! ? (not inside numbers like 3.5, not after Mr. / Dr.)."""
    out: list[str] = []
    buf = ""
    for part in _END.split(text):
        if not part:
            continue
        buf += part
        if _END.fullmatch(part):
            words = buf[:-len(part)].strip().split()
            last = words[-1].lower().rstrip(".") if words else ""
            if part == "." and last in _ABBREVIATIONS:
                continue
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


# Clause ends for Mandarin streaming: a reply starts playing after its first clause renders.
_CLAUSE_END = re.compile(r"((?:[，。！？；、：!?;…]|(?<!\d),(?!\d))+)")


def split_clauses(text: str) -> list[str]:
    """Split after Chinese clause punctuation (，。！？；、：) keeping it on the left: "您好，我是小王。" ->
    ["您好，", "我是小王。"]. Text without any comes back whole."""
    out: list[str] = []
    buf = ""
    for part in _CLAUSE_END.split(text):
        if not part:
            continue
        buf += part
        if _CLAUSE_END.fullmatch(part):
            if buf.strip(" ，。！？；、：!?;,…"):
                out.append(buf.strip())
            elif out:
                out[-1] += buf.strip()
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
