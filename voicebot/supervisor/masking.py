"""What a viewer may see of a phone number: +86*******78. Supervisors see numbers whole."""

from __future__ import annotations

import re
from typing import Any

_DIGIT_RUN = re.compile(r"(?<![\d+])(\+\d{2}|\d{3})\d{2,}(\d{2})(?!\d)")
_SIP_USER = re.compile(r"^(?P<scheme>sips?:|tel:)?(?P<user>[^@;]*)(?P<rest>.*)$")


def mask_number(text: str) -> str:
    """Masks every run of 7+ digits (a phone number); short runs (ports, extensions) stay."""
    return _DIGIT_RUN.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - len(m.group(1)) - 2) + m.group(2), text)


def mask_uri(uri: str) -> str:
    """``sip:+8613812345678@pbx`` -> ``sip:+86********78@pbx``; the host part is not personal."""
    m = _SIP_USER.match(uri or "")
    if not m or "@" not in uri:
        return mask_number(uri or "")
    return (m.group("scheme") or "") + mask_number(m.group("user")) + m.group("rest")


# Fields of rows and recordings that may hold a number.
NUMBER_FIELDS = ("remote", "customer_number", "phone")


def mask_record(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for name in NUMBER_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = mask_uri(out[name])
    return out


def mask_name(name: str) -> str:
    """张伟 -> 张*, 欧阳娜娜 -> 欧阳**, John Smith -> J*** S****: enough to recognise, not to identify."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    keep = 2 if len(name) >= 4 else 1  # two-character family names (欧阳, 司马) come with long names
    return name[:keep] + "*" * (len(name) - keep)
