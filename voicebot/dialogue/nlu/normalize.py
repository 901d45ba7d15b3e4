"""Text normalisation before intent features: what ASR output varies in but meaning does not.

Both locales: NFKC (full-width -> half-width), lower case, punctuation out, hesitation fillers out.
zh-CN: Chinese numerals -> digits, plus a toneless, fuzzy pinyin reading so homophones and
near-homophones from the recogniser (人工/人攻, 价格/下个) land on the same features.
en-US: contractions expanded (with or without the apostrophe: recognisers often drop it), number
words -> digits, backchannels (uh huh, mhm) -> "yes".
An utterance that is nothing but a backchannel (嗯嗯, 恩, mhm) keeps one canonical token instead of
vanishing: on a call a bare 嗯 is an answer, not silence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from voicebot.locales import locale_info
from voicebot.zh_numerals import BIG_UNITS, SMALL_UNITS, digit_values

ZH_FILLERS = ("嗯嗯", "嗯", "呃", "额", "哦", "噢", "唔", "哎", "诶", "欸", "那个那个", "这个这个", "就是说", "然后呢")
# Whisper's Chinese hallucinations on noise; never meaningful in a call.
ZH_NOISE = ("以下是普通话的句子", "普通话的句子", "请不吝点赞", "订阅转发", "字幕由")
EN_FILLERS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mm"}
# Said to agree, not to hesitate ("uh huh" is one word to the recogniser sometimes, two others).
_EN_BACKCHANNEL = re.compile(r"\b(?:uh[ -]?huh|mm+[ -]?hm+|m+hm+|um[ -]?hm+)\b")
# Whole-utterance backchannels in Chinese: kept as 嗯 (an answer) where other fillers are dropped.
ZH_BACKCHANNEL = re.compile(r"^[嗯恩]+$")
# Sentence-final particles that only colour the tone (吗/呢/吧 stay: they make questions and suggestions).
_ZH_FINAL_PARTICLES = re.compile(r"[啊呀啦哈哦噢]+(?=\s|$)")
# Leading discourse fillers (那个多少钱 = 多少钱); only at the start, where they never carry meaning.
_ZH_LEADING = re.compile(r"^(?:那个|这个这个|就是|然后)\s*(?=\S{2})")
EN_CONTRACTIONS = {
    "i'm": "i am", "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "can not",
    "cannot": "can not", "won't": "will not", "isn't": "is not", "aren't": "are not", "wasn't": "was not",
    "it's": "it is", "that's": "that is", "what's": "what is", "who's": "who is", "i'll": "i will",
    "i'd": "i would", "i've": "i have", "you're": "you are", "you've": "you have", "we're": "we are",
    "they're": "they are", "there's": "there is", "let's": "let us", "how's": "how is", "gonna": "going to",
    "wanna": "want to", "gotta": "got to", "ya": "you", "yeah": "yes", "yep": "yes", "yup": "yes", "nope": "no",
    "ok": "okay", "o.k.": "okay", "thx": "thanks", "nah": "no", "naw": "no", "yea": "yes", "kinda": "kind of",
    "gimme": "give me", "lemme": "let me", "dunno": "do not know", "cuz": "because", "cos": "because",
}
# The same contractions as a recogniser writes them, without the apostrophe. Left out where the bare
# form is a word of its own: were, well, its (kept: "it is" loses nothing), hell, shell, wed, id.
EN_CONTRACTIONS.update({k.replace("'", ""): v for k, v in list(EN_CONTRACTIONS.items())
                        if "'" in k and k.replace("'", "") not in {"were", "well", "hell", "shell", "wed", "id", "hed", "shed"}})
# "one" stays a word: far more often a pronoun ("have a good one", "I'll take one") than a count.
EN_NUMBERS = {"zero": "0", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
              "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twenty": "20", "thirty": "30",
              "fifty": "50", "hundred": "100"}
ZH_DIGITS = {c: str(v) for c, v in digit_values().items()}
ZH_UNITS = {**SMALL_UNITS, "万": BIG_UNITS["万"]}
# Fuzzy pinyin: the confusions of southern accents and of a recogniser on 8 kHz audio.
FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("h", "f"), ("r", "l"))
FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("uan", "an"), ("ian", "an"))

_PUNCT = re.compile(r"[^\w\s']+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ZH_NUMBER = re.compile(f"[{''.join(ZH_DIGITS)}{''.join(ZH_UNITS)}]+")


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
    if ZH_BACKCHANNEL.match(t.replace(" ", "")):
        return "嗯"
    t = t.replace("恩", "嗯")  # the recogniser writes the filler both ways
    for filler in ZH_FILLERS:
        t = t.replace(filler, " ")
    t = re.sub(r"(^|\s)(?:[啊呀吧嘛]|哈(?![喽啰罗]))+(?=\S)", r"\1", t)  # leading modal particles
    t = _ZH_FINAL_PARTICLES.sub(" ", t)
    t = _ZH_LEADING.sub("", _SPACES.sub(" ", t).strip())
    t = _ZH_NUMBER.sub(_zh_number, t)
    t = _SPACES.sub(" ", t).strip()
    if not t and re.sub(r"\W", "", text) in ("啊", "啊啊", "哈", "嗯"):
        return "啊"  # a bare 啊？ asks to repeat: an answer, not silence
    if not t and re.sub(r"\W", "", text):
        return "呃"  # nothing but hesitation (呃/哦/那个): the everyday `filler` intent, not silence
    return t


def normalize_en(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    t = _PUNCT.sub(" ", t)
    t = _EN_BACKCHANNEL.sub("yes", t)
    # "we're" without its apostrophe; only at the start, where "were" (the verb) rarely begins a reply
    t = re.sub(r"^were (?!you\b|they\b|we\b|there\b)", "we are ", t.strip())
    words = []
    for w in t.split():
        w = EN_CONTRACTIONS.get(w, w)
        if w in EN_FILLERS:
            continue
        words.extend(EN_NUMBERS.get(x, x) for x in w.split())
    # Repeated words ("yes yes", "I I want") are disfluencies, not meaning.
    deduped = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]
    if not deduped and t.strip():
        return "um"  # nothing but hesitation (um, hmm): the everyday `filler` intent, not silence
    return " ".join(deduped)


# Each language family of the locale table reads its own way.
_BY_FAMILY: dict[str, Callable[[str], str]] = {"zh": normalize_zh, "en": normalize_en}


def normalize(text: str, locale: str) -> str:
    return _BY_FAMILY[locale_info(locale).family](text)


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
