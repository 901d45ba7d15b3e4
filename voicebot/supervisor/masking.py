"""What a viewer may see: phone numbers by the one rule in ``voicebot.masking``, names shortened."""

from __future__ import annotations

from typing import Any

from voicebot.masking import IDENTIFIER_KEYS, mask_text, mask_uri, mask_value

mask_number = mask_text  # the older name, kept for existing callers (campaign report, segment summary)

__all__ = ["mask_number", "mask_text", "mask_uri", "mask_value", "mask_record", "mask_name", "IDENTIFIER_KEYS",
           "NUMBER_FIELDS"]

# Fields of rows and recordings that are a number as a whole (mask_value covers them and every other string).
NUMBER_FIELDS = ("remote", "customer_number", "phone")


def mask_record(record: dict[str, Any]) -> dict[str, Any]:
    """A viewer's copy of a row or recording: every string masked except identifiers."""
    return mask_value(record)


def mask_name(name: str) -> str:
    """张伟 -> 张*, 欧阳娜娜 -> 欧阳**, John Smith -> J*** S****: enough to recognise, not to identify."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    keep = 2 if len(name) >= 4 else 1  # two-character family names (欧阳, 司马) come with long names
    return name[:keep] + "*" * (len(name) - keep)
