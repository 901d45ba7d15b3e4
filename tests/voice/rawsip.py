"""A few hand-built SIP requests over UDP or TCP, for tests that must see exactly what the bot answers
(its Contact header, a refusal's status) without a SIP stack of their own in between."""

from __future__ import annotations

import re
import socket
import time
import uuid
from dataclasses import dataclass, field

SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio {rtp} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")


@dataclass
class Response:
    code: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value
    raw: str = ""


def parse(text: str) -> Response:
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    parts = head[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return Response(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, text)


class RawSipClient:
    """One dialog's worth of requests from a socket of its own (UDP, or TCP connected to the bot)."""

    def __init__(self, transport: str, target: tuple[str, int]) -> None:
        self.transport, self.target = transport.upper(), target
        kind = socket.SOCK_DGRAM if self.transport == "UDP" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.bind(("127.0.0.1", 0))
        if self.transport == "TCP":
            self.sock.connect(target)
        self.sock.settimeout(0.5)
        self.local = self.sock.getsockname()
        self.call_id, self.tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
        self._buf = b""

    def request(self, method: str, uri: str, *, cseq: int = 1, body: str = "", extra: str = "",
                to_tag: str = "", branch: str = "") -> str:
        branch = branch or "z9hG4bK" + uuid.uuid4().hex[:12]
        to = f"<{uri}>" + (f";tag={to_tag}" if to_tag else "")
        cseq_method = "INVITE" if method == "ACK" else method
        msg = (f"{method} {uri} SIP/2.0\r\n"
               f"Via: SIP/2.0/{self.transport} {self.local[0]}:{self.local[1]};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:tester@127.0.0.1>;tag={self.tag}\r\nTo: {to}\r\n"
               f"Call-ID: {self.call_id}\r\nCSeq: {cseq} {cseq_method}\r\n"
               f"Contact: <sip:tester@{self.local[0]}:{self.local[1]};transport={self.transport.lower()}>\r\n"
               f"{extra}"
               + ("Content-Type: application/sdp\r\n" if body else "")
               + f"Content-Length: {len(body.encode())}\r\n\r\n{body}")
        data = msg.encode()
        if self.transport == "UDP":
            self.sock.sendto(data, self.target)
        else:
            self.sock.sendall(data)
        return branch

    def _messages(self) -> list[str]:
        try:
            chunk = self.sock.recv(65535)
        except socket.timeout:
            return []
        if self.transport == "UDP":
            return [chunk.decode("utf-8", "replace")]
        self._buf += chunk
        out = []
        while b"\r\n\r\n" in self._buf:
            head, _, rest = self._buf.partition(b"\r\n\r\n")
            m = re.search(rb"^(?:content-length|l)\s*:\s*(\d+)", head, re.IGNORECASE | re.MULTILINE)
            need = int(m.group(1)) if m else 0
            if len(rest) < need:
                break
            out.append((head + b"\r\n\r\n" + rest[:need]).decode("utf-8", "replace"))
            self._buf = rest[need:]
        return out

    def final_response(self, timeout: float = 10.0) -> Response | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for text in self._messages():
                if text.startswith("SIP/2.0 ") and parse(text).code >= 200:
                    return parse(text)
        return None

    def close(self) -> None:
        self.sock.close()


def contact_hostport(contact: str) -> tuple[str, int, str]:
    """'<sip:bot@1.2.3.4:5070;transport=TCP;ob>' -> ('1.2.3.4', 5070, 'tcp')."""
    m = re.search(r"sips?:(?:[^@>]*@)?([^:;>]+)(?::(\d+))?([^>]*)", contact)
    assert m, f"no SIP URI in Contact {contact!r}"
    t = re.search(r";transport=(\w+)", m.group(3), re.IGNORECASE)
    return m.group(1), int(m.group(2) or 5060), (t.group(1).lower() if t else "udp")


def answered_invite(bot_port: int, transport: str = "udp") -> Response:
    """INVITEs the bot directly over ``transport``, ends the call (ACK, BYE) and returns its 200 OK."""
    client = RawSipClient(transport, ("127.0.0.1", bot_port))
    uri = f"sip:voicebot@127.0.0.1:{bot_port}"
    try:
        client.request("INVITE", uri, body=SDP.format(rtp=client.local[1] + 2))
        answer = client.final_response(15)
        assert answer is not None and answer.code == 200, answer
        to_tag = answer.headers["to"].split("tag=")[1].split(";")[0]
        client.request("ACK", uri, to_tag=to_tag)
        client.request("BYE", uri, cseq=2, to_tag=to_tag)
        client.final_response(5)
        return answer
    finally:
        client.close()
