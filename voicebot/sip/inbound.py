"""Which incoming INVITEs the bot refuses, and with what, before a session is started.

Runs in ``onIncomingCall`` on the SIP thread, on the INVITE as received. Each refusal is a SIP
response the caller's PBX can act on: busy with Retry-After, draining, a message that pjsip cut
short, or an offer the bot cannot hold a conversation on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# pjsip's receive buffer (PJSIP_MAX_PKT_LEN, compiled into pjsua2-python; no binding changes it).
# A longer UDP datagram is cut at this size: the INVITE arrives without (all of) its SDP.
PJSIP_MAX_PKT_LEN = 4000

_CONTENT_LENGTH = re.compile(r"^(?:content-length|l)\s*:\s*(\d+)\s*$", re.IGNORECASE | re.MULTILINE)
_DIRECTION = re.compile(r"^a=(sendonly|inactive|recvonly|sendrecv)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Refusal:
    code: int
    reason: str  # for the log
    headers: dict[str, str] = field(default_factory=dict)


def screen_invite(invite: str, live_calls: int, max_calls: int, draining: bool = False,
                  retry_after_s: int = 30) -> Refusal | None:
    """``live_calls`` counts the new call too. None = accept."""
    retry = {"Retry-After": str(retry_after_s)} if retry_after_s else {}
    if draining:
        return Refusal(503, "draining: shutting down, no new calls", retry)
    truncated = truncated_body(invite)
    if truncated:
        return Refusal(513, truncated, {"Warning": '399 voicebot "INVITE over 4000 bytes on UDP: send it over TCP"'})
    if live_calls > max_calls:
        return Refusal(486, f"busy: {live_calls - 1} calls in progress, sip.max_calls = {max_calls}", retry)
    direction = offer_direction(invite)
    if direction in ("sendonly", "inactive"):
        return Refusal(488, f"initial offer is {direction}: the bot needs two-way audio",
                       {"Warning": f'399 voicebot "initial offer is {direction}; the bot needs sendrecv audio"'})
    return None


def split_message(msg: str) -> tuple[str, str]:
    head, sep, body = msg.replace("\r\n", "\n").partition("\n\n")
    return head, body if sep else ""


def truncated_body(msg: str) -> str:
    """Why ``msg`` lost part of its body (pjsip cut the datagram), or '' when it is whole."""
    head, body = split_message(msg)
    match = _CONTENT_LENGTH.search(head)
    declared = int(match.group(1)) if match else None
    # pjsip hands a cut message over as is; line endings were normalised above, so compare loosely.
    have = len(body.replace("\n", "\r\n").encode("utf-8", "replace"))
    if declared is not None and have + 2 < declared:
        return f"message cut at {len(msg.encode('utf-8', 'replace'))} bytes: Content-Length {declared}, body {have}"
    if declared is None and len(msg.encode("utf-8", "replace")) >= PJSIP_MAX_PKT_LEN:
        return f"message of {PJSIP_MAX_PKT_LEN}+ bytes without a Content-Length: cut by pjsip"
    return ""


def offer_direction(msg: str) -> str:
    """The audio direction the SDP offer asks for ('' = no SDP, i.e. we make the offer in the 200).

    A media-level attribute overrides the session-level one.
    """
    _, body = split_message(msg)
    if "m=audio" not in body:
        return ""
    session, _, media = body.partition("m=audio")
    media = media.split("\nm=", 1)[0]
    found = _DIRECTION.findall(media) or _DIRECTION.findall(session)
    return found[0] if found else "sendrecv"
