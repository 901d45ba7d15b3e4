"""An OPTIONS probe to our own address-of-record, sent through the registrar from a plain UDP socket.

A registrar that still holds our binding forwards the OPTIONS to the bot (pjsua answers 200) and
relays the 200 back; one that lost it answers 404/480 itself. The probe does not go through pjsua:
an out-of-dialog request still pending when the library shuts down calls back into a deleted
account (an assertion that aborts the process), and an unanswered OPTIONS stays pending for 32 s.

Non-blocking: ``send`` then ``poll`` from the SIP loop; no pjsua call, so any thread would do.
"""

from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass

from voicebot.logs import get_logger

log = get_logger("voicebot.sip.keepalive")


@dataclass(frozen=True)
class Target:
    host: str
    port: int


def udp_target(registrar: str, outbound_proxy: str = "") -> Target | None:
    """Where the probe goes (the outbound proxy if any, else the registrar); None = not over UDP."""
    uri = outbound_proxy or registrar
    if not uri or uri.startswith("sips:") or "transport=tcp" in uri.lower() or "transport=tls" in uri.lower():
        return None
    rest = uri.split(":", 1)[1] if uri.startswith("sip:") else uri
    hostport = rest.split(";", 1)[0].split("@")[-1].strip("<>")
    if hostport.startswith("["):  # [v6]:port
        host, _, port = hostport[1:].partition("]")
        return Target(host, int(port.lstrip(":") or 5060))
    host, _, port = hostport.partition(":")
    return Target(host, int(port or 5060))


def stream_target(uri: str) -> Target:
    """Where a TCP/TLS request to ``uri`` goes: its host and port, 5061 for TLS and 5060 otherwise."""
    rest = uri.split(":", 1)[1] if uri.startswith(("sip:", "sips:")) else uri
    hostport = rest.split(";", 1)[0].split("@")[-1].strip("<>")
    host, _, port = hostport.partition(":")
    tls = uri.startswith("sips:") or "transport=tls" in uri.lower()
    return Target(host, int(port) if port.isdigit() else (5061 if tls else 5060))


class OptionsProbe:
    transport = "udp"

    def __init__(self, target: Target, aor: str, bind_host: str, user_agent: str, timeout_s: float = 5.0) -> None:
        self.target, self.aor, self.timeout_s, self.user_agent = target, aor, timeout_s, user_agent
        family = socket.AF_INET6 if ":" in target.host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((bind_host if bind_host not in ("0.0.0.0", "::") and family == socket.AF_INET else "", 0))
        self.sock.setblocking(False)
        self._call_id = ""
        self._sent_at: float | None = None
        self._cseq = 0

    @property
    def pending(self) -> bool:
        return self._sent_at is not None

    def send(self) -> None:
        local_host, local_port = self.sock.getsockname()[:2]
        if local_host in ("0.0.0.0", "::"):
            local_host = self._local_ip()
        self._cseq += 1
        self._call_id = uuid.uuid4().hex
        branch = "z9hG4bK" + uuid.uuid4().hex[:16]
        host = f"[{local_host}]" if ":" in local_host else local_host
        msg = (f"OPTIONS {self.aor} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP {host}:{local_port};branch={branch};rport\r\n"
               f"Max-Forwards: 70\r\n"
               f"From: <{self.aor}>;tag={uuid.uuid4().hex[:10]}\r\n"
               f"To: <{self.aor}>\r\n"
               f"Call-ID: {self._call_id}\r\n"
               f"CSeq: {self._cseq} OPTIONS\r\n"
               f"User-Agent: {self.user_agent} keepalive\r\n"
               f"Accept: application/sdp\r\n"
               f"Content-Length: 0\r\n\r\n")
        try:
            self.sock.sendto(msg.encode(), (self.target.host, self.target.port))
        except OSError as exc:
            log.warning("keepalive_send_failed", target=f"{self.target.host}:{self.target.port}", error=str(exc))
        self._sent_at = time.monotonic()

    def _local_ip(self) -> str:
        probe = socket.socket(self.sock.family, socket.SOCK_DGRAM)
        try:
            probe.connect((self.target.host, self.target.port))  # no packet: picks the outgoing interface
            return probe.getsockname()[0]
        finally:
            probe.close()

    def poll(self) -> tuple[int, str] | None:
        """The final answer (code, reason), (408, ...) after the timeout, or None while waiting."""
        if self._sent_at is None:
            return None
        while True:
            try:
                data = self.sock.recv(65535)
            except BlockingIOError:
                break
            except OSError as exc:  # e.g. ICMP port unreachable reported on the socket
                self._sent_at = None
                return 503, f"no registrar listening ({exc.strerror or exc})"
            text = data.decode("utf-8", "replace")
            if not text.startswith("SIP/2.0 ") or self._call_id not in text:
                continue
            status = text.split("\r\n", 1)[0].split(" ", 2)
            code = int(status[1]) if len(status) > 1 and status[1].isdigit() else 0
            if code >= 200:
                self._sent_at = None
                return code, status[2] if len(status) > 2 else ""
        if time.monotonic() - self._sent_at > self.timeout_s:
            self._sent_at = None
            return 408, f"no answer within {self.timeout_s:.0f} s"
        return None

    def close(self) -> None:
        self.sock.close()
