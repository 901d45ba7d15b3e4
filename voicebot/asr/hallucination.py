"""Text Whisper writes when nobody said it: what must never reach the dialogue as the customer's words.

Whisper was trained on subtitled video: on silence, line noise or a click it may answer with a
subtitle credit (请不吝点赞 订阅 转发…, "Thank you for watching"), with its own initial prompt
(以下是普通话的句子。), or loop on one syllable (试试试试试…). Each check here names its reason,
so the log says why a turn was dropped.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

# One table: pattern -> name. Matched on the text without spaces and punctuation, case-folded
# (so patterns are written without them).
KNOWN_HALLUCINATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), name) for p, name in (
        (r"(以下|下面|如下|这位置|这位|这|那|就)?是?普通话的?句子", "whisper zh prompt"),  # and variants: 这位是普通话的句子
        (r"请?不吝点赞.{0,30}", "subtitle credit"),
        (r"点赞订阅转发打赏.{0,20}", "subtitle credit"),
        (r"明镜与点点栏目", "subtitle credit"),
        (r"(中文)?字幕(由|提供|志愿者|组|制作|by).{0,20}", "subtitle credit"),
        (r"字幕.{0,12}(提供|制作)", "subtitle credit"),
        (r"(谢谢|感谢)(大家|您|你)?的?(观看|收看|收听)", "video outro"),
        (r"(请|欢迎)?(订阅|关注)(我的|我们的)?(频道|节目)", "video outro"),
        (r"优优独播剧场.{0,40}", "subtitle credit"),
        (r"李宗盛", "subtitle credit"),
        (r"本期视频.{0,20}", "video outro"),
        (r"thank(s|you)(so|very)?(much)?forwatching", "video outro"),
        (r"(please(like(and)?)?|likeand)subscribe(tomychannel|tothechannel|tothischannel)?", "video outro"),
        (r"subtitles?by.{0,40}", "subtitle credit"),
        (r"amaraorg.{0,20}", "subtitle credit"),
    ))
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)
# A unit of 1-6 characters repeated back to back: 试试试试试试 / 是我是我是我是我.
_LOOP = re.compile(r"(.{1,6}?)\1{3,}", re.DOTALL)
LOOP_MIN_REPEATS = {1: 6}  # a one-character unit needs 6 in a row (喂喂喂喂喂 is speech); longer units 4


@dataclass(frozen=True)
class Screened:
    text: str  # what is left for the dialogue ('' = nothing was said)
    reason: str = ""  # why text was removed ('' = nothing removed)


def _plain(text: str) -> str:
    return _STRIP.sub("", text).lower()


def _content_len(text: str) -> int:
    """Characters of meaning: Han characters count one each, Latin words one each."""
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    words = len(re.findall(r"[a-zA-Z0-9]+", text))
    return han + words


def prompt_coverage(text: str, prompt: str, min_piece: int = 3) -> float:
    """Share of ``text``'s characters inside pieces of >= ``min_piece`` characters copied from ``prompt``."""
    t, p = _plain(text), _plain(prompt)
    if not t or not p:
        return 0.0
    covered = [False] * len(t)
    i = 0
    while i < len(t):
        best = 0
        for j in range(i + min_piece, len(t) + 1):
            if t[i:j] in p:
                best = j - i
            else:
                break
        if best >= min_piece:
            for k in range(i, i + best):
                covered[k] = True
            i += best
        else:
            i += 1
    return sum(covered) / len(t)


def _strip_loops(text: str) -> tuple[str, int]:
    """Each loop cut to one copy of its unit; returns (text, characters removed)."""
    removed = 0

    def cut(m: re.Match[str]) -> str:
        nonlocal removed
        unit = m.group(1)
        repeats = len(m.group(0)) // len(unit)
        if not unit.strip() or repeats < LOOP_MIN_REPEATS.get(len(unit), 4):
            return m.group(0)
        removed += len(m.group(0)) - len(unit)
        return unit

    return _LOOP.sub(cut, text), removed


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def screen(text: str, prompt: str = "", speech_s: float | None = None, chars_per_s: float = 8.0) -> Screened:
    """The transcript with hallucinations removed, and why.

    ``prompt``: the initial prompt the decoder saw (a transcript that is mostly a copy of it is
    dropped). ``speech_s``: seconds of actual speech in the audio; more content than a fast
    speaker says in that time (``chars_per_s`` Han characters or words a second, plus two) was
    not said.
    """
    original = text.strip()
    if not original:
        return Screened("")
    reasons: list[str] = []
    out = original
    for pattern, name in KNOWN_HALLUCINATIONS:
        plain = _plain(out)
        if pattern.search(plain):
            # Remove the match from the readable text: rebuild it without the matched characters.
            out = _remove_plain_span(out, pattern)
            reasons.append(name)
    out, looped = _strip_loops(out)
    if looped and looped >= _content_len(original) // 2:
        return Screened("", "repetition loop")
    if looped:
        reasons.append("repetition loop")
    if len(out) > 20 and compression_ratio(out) > 2.4:
        return Screened("", "repetitive text")
    if prompt and _content_len(out) >= 2 and prompt_coverage(out, prompt) >= 0.8:
        return Screened("", "copy of the initial prompt")
    if speech_s is not None and _content_len(out) > 2 + chars_per_s * speech_s:
        return Screened("", f"{_content_len(out)} characters in {speech_s:.1f} s of speech")
    # What is left around a hallucination is rarely the customer's words when it is one character (那).
    if _content_len(out) <= (1 if reasons else 0):
        return Screened("", ", ".join(reasons) or "no words")
    return Screened(out.strip() if reasons else original, ", ".join(reasons))


def _remove_plain_span(text: str, pattern: re.Pattern[str]) -> str:
    """Removes what ``pattern`` matched in the stripped text from the original text (which keeps
    its punctuation and spaces)."""
    keep = [i for i, c in enumerate(text) if _STRIP.sub("", c)]  # indices of non-stripped chars
    plain = "".join(text[i] for i in keep).lower()
    drop: set[int] = set()
    for m in pattern.finditer(plain):
        drop.update(keep[k] for k in range(m.start(), m.end()))
    left = "".join(c for i, c in enumerate(text) if i not in drop)
    return re.sub(r"^[\s\W_]+|[\s\W_]+$", "", left) if drop else left
