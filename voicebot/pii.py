"""Personal data other than phone numbers: ID-card and bank-card numbers, addresses, e-mail addresses.

``voicebot.masking.mask_text`` applies this table first and its phone rule after, so logs, the
console's viewer role and (by setting) stored transcripts hide all of them with one call.

Amounts, dates, times and Redis stream ids stay readable. ID-card and bank-card numbers:

* 15-19 digits, or 17 digits and an X, are masked whatever their check digit says: ASR mishears a
  digit and the rest is still somebody's ID (居民身份证号, ISO 7064 check) or card (Luhn);
* 13-14 digits only when they pass the Luhn check (short card numbers);
* spoken with any separator ASR writes between groups (space, - . , ， 、, full-width) and in
  Chinese digits (六二二二，零二一二 ..., 幺 for one), full-width digits and %-escapes too
  (``digit_view``); a comma-separated list of small numbers (100，200，300) is not one number.

Addresses are masked from the street down (road, house number, building, unit, room, estate) when
the address holds a number: "北京市朝阳区建国路88号3号楼2单元501室" keeps "北京市朝阳区", as a
delivery slip would, and "88 Main Street, Apt 4B, Springfield, IL 62704" keeps nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from voicebot.zh_numerals import digit_values

CN_DIGIT_VALUES = {c: str(v) for c, v in digit_values(yao=True).items()}
_TO_ASCII = str.maketrans({**CN_DIGIT_VALUES, **{chr(0xFF10 + i): str(i) for i in range(10)},
                           "Ｘ": "X", "ｘ": "x"})

# What people and ASR put between groups of digits: spaces, dashes, dots, commas (，,、) and the
# full-width forms. One class for every rule here and in voicebot.masking.
SEPARATORS = " \u3000\\-.,，、．"
_SEP = f"[{SEPARATORS}]{{0,2}}"
# Digit runs (in the digit view of the text): 13-19 digits, or 17 and an X, with separators.
_NUMBER_RUN = re.compile(rf"(?<![A-Za-z0-9_.+])\d(?:{_SEP}\d){{12,18}}(?:{_SEP}[Xx])?(?![A-Za-z0-9_])")
_ISO_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")  # 2000-01-01 1999-01-04 is two dates, not a card
# Redis stream ids (milliseconds-sequence) are not personal: 1790000000000-0.
STREAM_ID = re.compile(r"(?<![\d-])\d{13}-\d{1,6}(?![\d-])")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_GROUPS = re.compile(rf"[{SEPARATORS}]+")


def digit_view(text: str) -> str:
    """``text`` with the same length and every digit as ASCII: full-width and Chinese digits (幺 is
    one), and percent-escapes in URIs (``%2B86…`` reads "  +86…", ``%31`` reads "  1"). Spans found
    in the view are spans of the original text."""
    def escape(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return "  " + ch if ch.isdigit() or ch in "+-" else "   "
    return _PERCENT.sub(escape, text.translate(_TO_ASCII)) if "%" in text else text.translate(_TO_ASCII)


def is_small_number_list(piece: str) -> bool:
    """"100，200，300": a list of small numbers separated by commas, not one number spoken in groups
    (a phone or card number has a group of four or more digits somewhere)."""
    if not any(c in piece for c in ",，、"):
        return False
    groups = [g for g in _GROUPS.split(piece) if g]
    return len(groups) > 1 and max(len(g) for g in groups) <= 3
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def is_resident_id(symbols: str) -> bool:
    """18 symbols with a valid check digit and birth date, or 15 digits with a birth date."""
    s = symbols.upper()
    if s[:1] not in "123456789" or s[:1] == "" or not s[:-1].isdigit():
        return False
    if len(s) == 18:
        check = _ID_CHECK[sum(int(d) * w for d, w in zip(s[:17], _ID_WEIGHTS)) % 11]
        return s[17] == check and _real_date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    if len(s) == 15 and s.isdigit():
        return _real_date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))
    return False


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# --- addresses ---------------------------------------------------------------------------------
# Characters that end a place name rather than belong to it: "我住在建国路88号" masks "建国路88号" only.
_NOT_IN_NAME = "\\s\\d0-9０-９，。,.!?！？、；;：:“”\"'（）()我你他她住在是的了吗呢啊吧到从给把请送寄址和或"
_NAME = f"[^{_NOT_IN_NAME}]"
_NUM = f"[0-9０-９{''.join(CN_DIGIT_VALUES)}十百]{{1,6}}(?:[-—][0-9]{{1,6}})?"
_ADMIN = "".join(f"(?:{_NAME}{{1,8}}?(?:{level}))?" for level in
                 ("省|自治区|特别行政区", "市|自治州|州|盟", "区|县|旗", "镇|乡|街道"))
_STREET = f"{_NAME}{{1,10}}?(?:大道|大街|路|街|巷|弄|胡同|小区|花园|公寓|大厦|家园|新村|村)"
_NUMBERED = f"{_NUM}(?:号院|号楼|号|栋|幢|座|单元|室|层|楼|组)"
# From the street down, with a number in it: a road and a number (建国路88号), or two numbered parts
# (3号楼2单元); one alone (3号线, 5号) is not an address.
CN_ADDRESS = re.compile(f"(?P<keep>{_ADMIN})(?P<detail>(?:{_STREET}(?:{_STREET})*{_NUMBERED}|{_NUMBERED}{_NUMBERED})"
                        f"(?:{_STREET}|{_NUMBERED})*)")
_CN_ADDRESS_HINT = re.compile(f"{_NUM}(?:号|栋|幢|座|单元|室|层|楼|组)")

# Street types; those that are everyday words too ("one easy way", "drive") count only capitalised.
_STREET_TYPES = ("Street|St|Avenue|Ave|Road|Rd|Lane|Boulevard|Blvd|Highway|Hwy|Parkway|Pkwy|"
                 "(?-i:Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Way|Square|Sq)")
# Words that never sit between a house number and the street type ("paid 1800 dollars on the way").
_EN_ADDRESS_HINT = re.compile(rf"\d\s.*\b(?:{_STREET_TYPES})\b", re.IGNORECASE)
_NOT_STREET_WORD = "(?!(?:the|a|an|on|in|at|of|to|by|for|and|or|per|dollars?|yuan|items?|days?|hours?|minutes?)\\b)"
EN_ADDRESS = re.compile(
    rf"\b\d{{1,6}}[A-Za-z]?\s+(?:{_NOT_STREET_WORD}[A-Za-z][A-Za-z'.-]*\s+){{1,4}}(?:{_STREET_TYPES})\b\.?"
    rf"(?:,?\s*(?:Apt|Apartment|Unit|Suite|Ste|Room|#)\.?\s*#?\w{{1,6}})?"
    # City and state only as written with capitals: "7 baker st please" keeps "please".
    rf"(?:,\s*(?-i:[A-Z][a-z]+(?:\s+[A-Z][a-z]+){{0,2}}))?(?:,?\s+(?-i:[A-Z]{{2}})\b)?(?:,?\s+\d{{5}}(?:-\d{{4}})?\b)?",
    re.IGNORECASE)
EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    kind: str


def _stars(piece: str, keep_head: int, keep_tail: int) -> str:
    """Letters and digits of ``piece`` to '*', except the first and last few (separators stay)."""
    idx = [i for i, c in enumerate(piece) if c.isalnum()]
    keep = set(idx[:keep_head]) | set(idx[len(idx) - keep_tail:] if keep_tail else [])
    return "".join("*" if (c.isalnum() and i not in keep) else c for i, c in enumerate(piece))


def _blank(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: "_" * len(m.group(0)), text)


def _numbers(text: str, ascii_text: str) -> list[Found]:
    """ID and card numbers. 15-19 digits (or 17 and an X) are masked whatever their check digit
    says: a misheard digit is still somebody's ID or card. 13-14 digits only when Luhn-valid."""
    out = []
    for m in _NUMBER_RUN.finditer(_blank(STREAM_ID, _blank(_ISO_DATE, ascii_text))):
        if is_small_number_list(m.group(0)):
            continue
        symbols = _GROUPS.sub("", m.group(0))
        if is_resident_id(symbols):
            out.append(Found(m.start(), m.end(), "resident_id"))
        elif luhn_valid(symbols):
            out.append(Found(m.start(), m.end(), "bank_card"))
        elif len(symbols) >= 15 and (symbols.isdigit() or len(symbols) == 18):
            out.append(Found(m.start(), m.end(), "resident_id" if len(symbols) in (15, 18) else "bank_card"))
    return out


def _pattern(kind: str, pattern: re.Pattern[str], group: str | int = 0) -> Callable[[str, str], list[Found]]:
    def find(text: str, _ascii_text: str) -> list[Found]:
        return [Found(m.start(group), m.end(group), kind) for m in pattern.finditer(text) if m.group(group)]
    return find


@dataclass(frozen=True)
class PiiKind:
    find: Callable[[str, str], list[Found]]
    mask: Callable[[str], str]
    worth_looking: Callable[[str], bool]  # a cheap test first: most log lines hold no PII


_ANY_DIGIT = re.compile(f"[\\d{''.join(CN_DIGIT_VALUES)}]")


def _many_digits(n: int) -> Callable[[str], bool]:
    return lambda text: len(_ANY_DIGIT.findall(text)) >= n


# The table: each kind of personal data, how it is found and how it is shown.
PII_KINDS: dict[str, PiiKind] = {
    # Resident IDs and bank cards come from one scan of digit runs (each run is one or the other).
    "resident_id / bank_card": PiiKind(_numbers, lambda s: _stars(s, 0, 4), _many_digits(13)),
    "email": PiiKind(_pattern("email", EMAIL), lambda s: s[0] + re.sub(r"[^@.]", "*", s[1:]), lambda t: "@" in t),
    "cn_address": PiiKind(_pattern("cn_address", CN_ADDRESS, "detail"), lambda s: "*" * len(s),
                          lambda t: bool(_CN_ADDRESS_HINT.search(t))),
    "en_address": PiiKind(_pattern("en_address", EN_ADDRESS), lambda s: _stars(s, 0, 0),
                          lambda t: bool(_EN_ADDRESS_HINT.search(t))),
}
KIND_OF = {"resident_id": "resident_id / bank_card", "bank_card": "resident_id / bank_card", "email": "email",
           "cn_address": "cn_address", "en_address": "en_address"}


def find_pii(text: str) -> list[Found]:
    """Non-overlapping findings, left to right (an earlier, longer one wins an overlap)."""
    if not isinstance(text, str) or not text:
        return []
    ascii_text = digit_view(text)  # same length: spans map one to one
    found: list[Found] = []
    for kind in PII_KINDS.values():
        if kind.worth_looking(text):
            found += kind.find(text, ascii_text)
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Found] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


def redact_pii(text: str) -> str:
    """``text`` with every ID-card and bank-card number, e-mail address and street address masked."""
    found = find_pii(text)
    if not found:
        return text
    out, last = [], 0
    for f in found:
        out += [text[last:f.start], PII_KINDS[KIND_OF[f.kind]].mask(text[f.start:f.end])]
        last = f.end
    out.append(text[last:])
    return "".join(out)
