"""``serve --sip-trace``: every SIP message the bot sends or receives, as one log line each, with the
digest credentials masked; and pjsip's own complaints that mean a message was refused.

pjsua logs each message at level 4 ("TX 512 bytes Request msg INVITE/cseq=1 ... to UDP 1.2.3.4:5060:"
followed by the message). The digest ``response`` (and ``cnonce``) of Authorization and
Proxy-Authorization is the one part of a message that lets a reader of the log replay a request;
usernames, realms and nonces stay, since they are what one debugs a 401 with.

Without the trace the dumps are still read (not logged): every final error response the bot sends to
an INVITE is logged as ``sip_refusal_sent`` with its status, Warning and pjsip's last error, since
pjsua answers some on its own (488 for an SRTP mismatch, 486 beyond its call slots) and the bot's
own code never sees those calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pjsua2 as pj

from voicebot.logs import get_logger
from voicebot.sip.inbound import PJSIP_MAX_PKT_LEN

log = get_logger("voicebot.sip")

# pjsua's level for message dumps; the trace raises pjsip's log level to it.
TRACE_LEVEL = 4

_MSG_LINE = re.compile(r"^\.*(TX|RX) (\d+) bytes (Request|Response) msg (.+?) (?:to|from) (\S+) "
                       r"(\[?[^\s\]]+\]?:\d+):?\s*$", re.MULTILINE)
_DIGEST_SECRET = re.compile(r'((?:^|,|\s)(?:response|cnonce)\s*=\s*)("[^"]*"|[^,\s]+)', re.IGNORECASE)
_AUTH_HEADER = re.compile(r"^((?:proxy-)?authorization\s*:)(.*)$", re.IGNORECASE | re.MULTILINE)
# pjsip's words for a message it could not take (over-long on a stream transport, unparsable).
_REFUSED = re.compile(r"(ERXOVERFLOW|too large|overflow|Error processing \d+ bytes packet|"
                      r"Dropping|Error processing packet)", re.IGNORECASE)


@dataclass(frozen=True)
class SipMessage:
    direction: str  # "tx" / "rx"
    size: int
    kind: str  # "request" / "response"
    summary: str  # e.g. "INVITE/cseq=1 (rdata0x...)"
    transport: str
    peer: str
    text: str  # masked


def mask_credentials(text: str) -> str:
    """The message with digest response/cnonce values in (Proxy-)Authorization replaced by ***."""
    return _AUTH_HEADER.sub(lambda m: m.group(1) + _DIGEST_SECRET.sub(r'\1"***"', m.group(2)), text)


def parse_message_entry(msg: str) -> SipMessage | None:
    """A pjsip log entry that dumps a SIP message, parsed; None for any other entry."""
    m = _MSG_LINE.search(msg)
    if m is None:
        return None
    body = msg[m.end():].lstrip("\r\n")
    body = body.split("\n--end msg--", 1)[0]
    return SipMessage(m.group(1).lower(), int(m.group(2)), m.group(3).lower(), m.group(4), m.group(5),
                      m.group(6), mask_credentials(body.strip()))


def refusal_reason(msg: str) -> str:
    """pjsip's text when ``msg`` says a received message was dropped (no response sent), else ''."""
    return msg.strip()[:300] if _REFUSED.search(msg) else ""


def drop_hint(reason: str) -> str:
    if "ERXOVERFLOW" in reason or "overflow" in reason.lower():
        return (f"a SIP message over {PJSIP_MAX_PKT_LEN} bytes (pjsip's compiled-in limit) on a stream transport: "
                "it cannot be answered, not even with 513; make the PBX send shorter INVITEs (fewer codecs, headers)")
    return "a malformed or truncated SIP message; the --sip-trace shows what arrived"


def response_status(text: str) -> tuple[int, str]:
    first = text.split("\n", 1)[0].strip()
    parts = first.split(" ", 2)
    if len(parts) >= 2 and first.startswith("SIP/2.0") and parts[1].isdigit():
        return int(parts[1]), parts[2] if len(parts) > 2 else ""
    return 0, ""


def header(text: str, name: str) -> str:
    m = re.search(rf"^{name}\s*:\s*(.*)$", text, re.IGNORECASE | re.MULTILINE)
    return m.group(1).strip() if m else ""


class PjLogWriter(pj.LogWriter):
    """pjsip's log into ours (runs on whichever thread pjsip logs from; no pjsua calls here)."""

    def __init__(self, trace: bool, srtp: str = "off") -> None:
        super().__init__()
        self.trace, self.srtp = trace, srtp
        self.last_error = ""  # pjsip's last complaint, the likely reason for a refusal it sends

    def write(self, entry: pj.LogEntry) -> None:
        msg = entry.msg.strip()
        if not msg:
            return
        message = parse_message_entry(msg)
        if message is not None:
            self._message(message)
            return
        dropped = refusal_reason(msg)
        if dropped:  # pjsip dropped a message without any answer: say so, never silently
            log.warning("sip_message_dropped", reason=dropped, hint=drop_hint(dropped))
        if entry.level <= 2:
            self.last_error = msg[:300]
            if not dropped:
                log.warning("pjsip", level=entry.level, msg=msg[:500])
        elif entry.level == 3 and not dropped:
            self.last_error = msg[:300]
            log.debug("pjsip", msg=msg[:500])

    def _message(self, message: SipMessage) -> None:
        if self.trace:
            log.info("sip_message", direction=message.direction, size=message.size, kind=message.kind,
                     summary=message.summary, transport=message.transport, peer=message.peer, text=message.text)
        if message.direction != "tx" or message.kind != "response":
            return
        code, phrase = response_status(message.text)
        if code >= 400 and "INVITE" in header(message.text, "CSeq").upper():
            log.warning("sip_refusal_sent", code=code, phrase=phrase, peer=message.peer,
                        transport=message.transport, call_id=header(message.text, "Call-ID"),
                        warning=header(message.text, "Warning"), retry_after=header(message.text, "Retry-After"),
                        pjsip_reason=self.last_error, hint=self._hint(code))

    def _hint(self, code: int) -> str:
        if code == 488 and "media" in self.last_error.lower():
            if self.srtp == "mandatory":
                return "the offer has no usable SRTP (SDES crypto) and sip.srtp = mandatory"
            return "no codec or media transport in the offer the bot can use (sip.codecs, sip.srtp)"
        if code == 486 and not self.last_error:
            return "all of pjsua's call slots are busy"
        return ""
