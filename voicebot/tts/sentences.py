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


# A Mandarin chunk (one synthesis call, one cache entry) has at least MIN_CHUNK_HANZI Hanzi when it
# can: a clause like "对，" or "再见。" alone comes out clipped and is misheard; joined to its
# neighbour it is said with the phrase's own prosody. A join never makes a chunk longer than
# MAX_JOINED_HANZI, so "好的，" before a long clause still leaves at once (first-audio latency).
MIN_CHUNK_HANZI = 4
MAX_JOINED_HANZI = 10


def _hanzi(text: str) -> int:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text)


def split_zh_chunks(text: str) -> list[str]:
    """Clauses; one under MIN_CHUNK_HANZI is joined to the next when the result stays within
    MAX_JOINED_HANZI, and a short last one to the previous."""
    chunks: list[str] = []
    pending = ""
    for clause in split_clauses(text):
        if pending and _hanzi(pending) + _hanzi(clause) > MAX_JOINED_HANZI:
            chunks.append(pending)
            pending = ""
        pending += clause
        if _hanzi(pending) >= MIN_CHUNK_HANZI:
            chunks.append(pending)
            pending = ""
    if pending:
        if chunks and _hanzi(pending) < MIN_CHUNK_HANZI:
            chunks[-1] += pending  # a short tail adds only its own syllables to the previous chunk
        else:
            chunks.append(pending)
    return chunks
