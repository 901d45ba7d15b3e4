"""What a viewer may see of a phone number: the one rule in ``voicebot.masking``, applied to console data."""

from __future__ import annotations

from typing import Any

from voicebot.masking import IDENTIFIER_KEYS, mask_text, mask_uri, mask_value

mask_number = mask_text  # the older name, kept for existing callers

__all__ = ["mask_number", "mask_text", "mask_uri", "mask_value", "mask_record", "IDENTIFIER_KEYS"]


def mask_record(record: dict[str, Any]) -> dict[str, Any]:
    """A viewer's copy of a row or recording: every string masked except identifiers."""
    return mask_value(record)
