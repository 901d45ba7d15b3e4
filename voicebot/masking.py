"""The one rule for hiding personal data: logs, the console's viewer role and (by setting) stored transcripts.

``mask_text`` masks ID-card and bank-card numbers, e-mail and street addresses first (their table is
``voicebot.pii.PII_KINDS``), then phone numbers by the rule below.

A phone number is found three ways, and the union is masked:

* ``phonenumbers``' matcher (possible numbers for the regions in ``REGIONS``): 415-555-0123,
  +1 415 555 0123, (415) 555-0123, +86 138 1234 5678 ...;
* a run of 7 or more digits with the separators people and ASR put between groups (space, dash,
  dot, brackets): numbers the matcher thinks impossible are still somebody's number when spoken
  ("my number is 415 550 123");
* a run of 7 or more Chinese digits (一三九八七六五四三二, 幺 for one, 两 for two), full-width
  digits (１３８…) and any mix of the kinds (幺三八 1234 5678).

Dates, times and IP addresses have the same shape as some of those and are left alone, as are
amounts (100元, 2025年3月24日: too few digits in a row). Masking keeps the first three symbols
(+86, 138) and the last two digits and replaces every other digit with ``*``, so a supervisor
reading a viewer's report still sees which kind of number it was.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import phonenumbers

from voicebot.pii import SEPARATORS, STREAM_ID, digit_view, is_small_number_list, redact_pii
from voicebot.zh_numerals import digit_chars

# Regions whose national formats the matcher understands (numbers with + work for every region).
REGIONS = ("CN", "US")
CN_DIGITS = digit_chars(yao=True)
MIN_DIGITS = 7
MAX_DIGITS = 15  # E.164: a longer run is an order or account number, not a phone number

_D = rf"[\d{CN_DIGITS}]"  # a digit: ASCII, full-width (１３８), any Unicode decimal, or Chinese (一, 幺)
_SEP = f"[{SEPARATORS}()]{{0,2}}"

# The table: what a number looks like, and what only looks like one. Order does not matter: spans
# merge. The patterns run on ``voicebot.pii.digit_view`` (every digit ASCII, %-escapes decoded).
PHONE_PATTERNS: dict[str, re.Pattern[str]] = {
    # 7+ digits of any kind, mixed too (幺三八 1234 5678), with the separators people and ASR put
    # between groups (138，1234，5678 · 415, 555, 0123 · 一三八、一二三四、五六七八); not glued to ASCII
    # letters (identifiers), glued to Chinese text is fine (号码是138…).
    "digits with separators": re.compile(
        rf"(?<![A-Za-z0-9_.])\+?\(?\d(?:{_SEP}\d){{{MIN_DIGITS - 1},}}\)?(?![A-Za-z0-9_])"),
    # A few letters glued in front (TEL13912345678, tel:+86…): masked when the digits are a valid number.
    "letter prefix": re.compile(r"(?<![A-Za-z0-9_])[A-Za-z]{1,8}(\+?\d{7,15})(?![A-Za-z0-9_])"),
}
NOT_PHONES: dict[str, re.Pattern[str]] = {
    "redis stream id": STREAM_ID,  # 1790000000000-0
    "thousands": re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?(?![\d,])"),  # 1,299,000
    "iso date": re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"),
    "time": re.compile(r"\d{1,2}:\d{2}(?::\d{2})?"),
    "ipv4": re.compile(r"\d{1,3}(?:\.\d{1,3}){3}"),
    "decimal": re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])"),  # 0.123456789, 1732901234.5: one dot only
    # ￥1000000, ￥100 1000元: amounts, not seven-digit numbers (a currency sign, or a unit after 8 digits at most).
    "amount": re.compile(r"[￥¥$]\s?(?:\d{1,3}(?:,\d{3})+|\d{1,10})(?:\.\d+)?(?!\d)"
                         r"|(?<!\d)(?:\d{1,3}(?:,\d{3})+|\d{1,8})(?:\.\d+)?\s?(?:元|块|万|千|美元|dollars?|yuan)"),
}
_DIGIT = re.compile(_D)
_SIP_USER = re.compile(r"^(?P<scheme>sips?:|tel:)?(?P<user>[^@;]*)(?P<rest>.*)$")

# Keys whose values are identifiers, paths or times, never phone numbers (hex ids hold digit runs).
IDENTIFIER_KEYS = frozenset({
    "call_id", "recording", "transcript", "path", "model", "timestamp", "old", "new", "consult_call", "leg",
    "sip_call_id", "job_id", "event", "supervisor_call", "day", "worker", "id", "ts", "started", "answered",
    "ended", "start", "end", "expires", "last_id",
})


def _blank_lookalikes(text: str) -> str:
    """``text`` with dates, times and addresses overwritten (same length): they are never numbers."""
    for pattern in NOT_PHONES.values():
        text = pattern.sub(lambda m: "_" * len(m.group(0)), text)
    return text


def _inside_word(text: str, start: int, end: int) -> bool:
    """A digit run glued to letters is part of an identifier (a hex call id), not a number."""
    return (start > 0 and text[start - 1].isascii() and text[start - 1].isalnum()) or \
        (end < len(text) and text[end].isascii() and text[end].isalnum())


def _valid_phone(digits: str) -> bool:
    for text, region in ((digits, "CN"), ("+" + digits.lstrip("+"), None)):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(text, region)):
                return True
        except phonenumbers.NumberParseException:
            pass
    return False


def _spans(original: str) -> list[tuple[int, int]]:
    text = _blank_lookalikes(digit_view(original))
    spans: list[tuple[int, int]] = []
    prefixed = [m.span(1) for m in PHONE_PATTERNS["letter prefix"].finditer(text) if _valid_phone(m.group(1))]
    for region in REGIONS:
        try:
            spans += [(m.start, m.end) for m in
                      phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)]
        except Exception:  # the matcher must never make logging or a page fail
            pass
    spans += [m.span() for m in PHONE_PATTERNS["digits with separators"].finditer(text)]
    kept = list(prefixed)
    for start, end in spans:
        piece = text[start:end]
        if MIN_DIGITS <= len(_DIGIT.findall(piece)) <= MAX_DIGITS and not _inside_word(text, start, end) \
                and not is_small_number_list(piece):
            kept.append((start, end))
    kept.sort()
    merged: list[tuple[int, int]] = []
    for start, end in kept:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mask_piece(piece: str, view: str) -> str:
    """``piece`` with its digits starred but the first three symbols and the last two digits;
    which characters are digits is read in the digit view (a %-escape's last character stands for it)."""
    symbols = [i for i, c in enumerate(view) if c == "+" or c.isdigit()]
    digits = [i for i in symbols if view[i] != "+"]
    keep = set(symbols[:3]) | set(digits[-2:])
    return "".join("*" if (i in digits and i not in keep) else c for i, c in enumerate(piece))


def mask_text(text: str) -> str:
    """Every phone number in ``text`` masked: "call 415-555-0123" -> "call 415-***-**23"; and every
    other kind of personal data in ``voicebot.pii``."""
    if not isinstance(text, str):
        return text
    text = redact_pii(text)
    if len(_DIGIT.findall(text)) < MIN_DIGITS and "%" not in text:
        return text  # the common case, and cheap: no number can hide in fewer digits
    out, last, view = [], 0, digit_view(text)
    for start, end in _spans(text):
        out += [text[last:start], _mask_piece(text[start:end], view[start:end])]
        last = end
    out.append(text[last:])
    return "".join(out)


def mask_uri(uri: str) -> str:
    """``sip:+8613812345678@pbx`` -> ``sip:+86*********78@pbx``; the host part is not personal."""
    m = _SIP_USER.match(uri or "")
    if not m or "@" not in (uri or ""):
        return mask_text(uri or "")
    return (m.group("scheme") or "") + mask_text(m.group("user")) + m.group("rest")


def mask_value(value: Any, skip_keys: Iterable[str] = IDENTIFIER_KEYS) -> Any:
    """``mask_text`` over every string in a JSON-like value, except under identifier keys."""
    skip = skip_keys if isinstance(skip_keys, (set, frozenset)) else frozenset(skip_keys)
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: (v if k in skip else mask_value(v, skip)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v, skip) for v in value]
    return value


def contains_phone_number(text: str) -> bool:
    """A phone number only (other personal data: ``voicebot.pii.find_pii``)."""
    return bool(isinstance(text, str) and len(_DIGIT.findall(text)) >= MIN_DIGITS and _spans(text))


def mask_name(name: str) -> str:
    """张伟 -> 张*, 欧阳娜娜 -> 欧阳**, John Smith -> J*** S****: enough to recognise, not to identify."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    keep = 2 if len(name) >= 4 else 1  # two-character family names (欧阳, 司马) come with long names
    return name[:keep] + "*" * (len(name) - keep)
