"""Text normalisation before intent features: what ASR output varies in but meaning does not.

Both locales: NFKC (full-width -> half-width), lower case, punctuation out, hesitation fillers out.
zh-CN: Chinese numerals -> digits, plus a toneless, fuzzy pinyin reading so homophones and
near-homophones from the recogniser (人工/人攻, 价格/下个) land on the same features.
en-US: contractions expanded, number words -> digits.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ZH_FILLERS = ("嗯嗯", "嗯", "呃", "额", "哦", "噢", "唔", "哎", "诶", "欸", "那个那个", "这个这个", "就是说", "然后呢")
# Whisper's Chinese hallucinations on noise; never meaningful in a call.
ZH_NOISE = ("以下是普通话的句子", "普通话的句子", "请不吝点赞", "订阅转发", "字幕由")
EN_FILLERS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mm", "mhm"}
EN_CONTRACTIONS = {
    "i'm": "i am", "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "can not",
    "cannot": "can not", "won't": "will not", "isn't": "is not", "aren't": "are not", "wasn't": "was not",
    "it's": "it is", "that's": "that is", "what's": "what is", "who's": "who is", "i'll": "i will",
    "i'd": "i would", "i've": "i have", "you're": "you are", "you've": "you have", "we're": "we are",
    "they're": "they are", "there's": "there is", "let's": "let us", "how's": "how is", "gonna": "going to",
    "wanna": "want to", "gotta": "got to", "ya": "you", "yeah": "yes", "yep": "yes", "yup": "yes", "nope": "no",
    "ok": "okay", "o.k.": "okay", "thx": "thanks",
}
EN_NUMBERS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
              "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twenty": "20", "thirty": "30",
              "fifty": "50", "hundred": "100"}
ZH_DIGITS = {"零": "0", "〇": "0", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
             "七": "7", "八": "8", "九": "9"}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# Fuzzy pinyin: the confusions of southern accents and of a recogniser on 8 kHz audio.
FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("h", "f"), ("r", "l"))
FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("uan", "an"), ("ian", "an"))

_PUNCT = re.compile(r"[^\w\s']+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ZH_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千万]+")


def _zh_number(match: re.Match[str]) -> str:
    s = match.group(0)
    if len(s) == 1 and s in "一两":  # 一下 / 两个 are words far more often than numbers; keep them
        return s
    if not any(c in ZH_UNITS for c in s):
        return "".join(ZH_DIGITS.get(c, c) for c in s)
    total, section, digit = 0, 0, 0
    for c in s:
        if c in ZH_DIGITS:
            digit = int(ZH_DIGITS[c])
        else:
            unit = ZH_UNITS[c]
            if unit == 10000:
                total += (section + digit) * unit
                section = digit = 0
            else:
                section += (digit or 1) * unit
                digit = 0
    return str(total + section + digit)


def normalize_zh(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    for noise in ZH_NOISE:
        t = t.replace(noise, " ")
    t = _PUNCT.sub(" ", t)
    for filler in ZH_FILLERS:
        t = t.replace(filler, " ")
    t = re.sub(r"(^|\s)[啊呀吧嘛哈]+", r"\1", t)  # leading modal particles
    t = _ZH_NUMBER.sub(_zh_number, t)
    return _SPACES.sub(" ", t).strip()


def normalize_en(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    t = _PUNCT.sub(" ", t)
    words = []
    for w in t.split():
        w = EN_CONTRACTIONS.get(w, w)
        if w in EN_FILLERS:
            continue
        words.extend(EN_NUMBERS.get(x, x) for x in w.split())
    # Repeated words ("yes yes", "I I want") are disfluencies, not meaning.
    deduped = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]
    return " ".join(deduped)


def normalize(text: str, locale: str) -> str:
    return normalize_zh(text) if locale.startswith("zh") else normalize_en(text)


@lru_cache(maxsize=8192)
def _syllable(han: str) -> tuple[str, str]:
    from pypinyin import Style, lazy_pinyin

    plain = lazy_pinyin(han, style=Style.NORMAL)[0]
    fuzzy = plain
    for a, b in FUZZY_INITIALS:
        if fuzzy.startswith(a):
            fuzzy = b + fuzzy[len(a):]
            break
    for a, b in FUZZY_FINALS:
        if fuzzy.endswith(a):
            fuzzy = fuzzy[: -len(a)] + b
            break
    return plain, fuzzy


def pinyin_tokens(text: str, fuzzy: bool = False) -> list[str]:
    """Toneless pinyin per Han character (other tokens kept): 'wo yao ren gong'."""
    out = []
    for ch in text:
        if _HAN.match(ch):
            out.append(_syllable(ch)[1 if fuzzy else 0])
        elif ch.isspace():
            out.append("|")
        else:
            out.append(ch)
    return out
