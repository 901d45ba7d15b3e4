"""Phone numbers to E.164: Chinese mobiles and landlines (with area code), +86/0086, international."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, timezone as pn_timezone


class PhoneError(ValueError):
    pass


_MASK = re.compile(r"[*＊•●]|\d[xX]{3,}")


def is_masked(text: str) -> bool:
    """138****5678 / 138xxxx5678: a CRM hid digits; no number can be read from it."""
    return bool(_MASK.search(str(text)))


def normalise_phone(raw: str, default_region: str = "CN") -> str:
    text = str(raw).strip()
    if not text:
        raise PhoneError("empty phone number")
    if is_masked(text):
        raise PhoneError(f"{text!r} is masked (digits hidden); export the full number")
    if text.endswith(".0") and text[:-2].lstrip("+").isdigit():  # numbers that went through a spreadsheet as floats
        text = text[:-2]
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        raise PhoneError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(number):
        raise PhoneError("wrong number of digits")
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not a valid number for its region (check the area code / prefix)")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def timezone_for(e164: str) -> str | None:
    """The number's time zone when the numbering plan pins it to exactly one."""
    try:
        zones = pn_timezone.time_zones_for_number(phonenumbers.parse(e164))
    except NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None
