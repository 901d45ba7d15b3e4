"""Can a person take a call right now? The answer the high-value hand-over waits for.

``dialogue.agent_check``:
* ``options``: the agent's SIP URI is pinged with SIP OPTIONS from a background thread; a 2xx
  answer within ``agent_check_ttl_s`` means someone is there (a phone or PBX queue answers
  OPTIONS while it is registered and up; 486/480/404 or silence mean nobody).
* ``capacity``: available while ``dialogue.agent_capacity`` > 0 (agents known to be staffed).
* ``always``: assume someone is there (the pre-check behaviour).
With no agent URI at all nobody is available. ``available()`` never blocks (callee turns call it).
"""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.agents")


class AgentAvailability(Protocol):
    def available(self) -> bool: ...


@dataclass(frozen=True)
class FixedAvailability:
    """Configured: ``capacity`` agents staffed (0 = nobody)."""

    capacity: int

    def available(self) -> bool:
        return self.capacity > 0


NOBODY = FixedAvailability(0)
_URI = re.compile(r"^sips?:(?:[^@;]+@)?(\[[^\]]+\]|[^:;>]+)(?::(\d+))?")


def parse_sip_target(uri: str) -> tuple[str, int]:
    m = _URI.match(uri.strip().strip("<>"))
    if not m:
        raise ValueError(f"not a SIP URI: {uri!r}")
    return m.group(1).strip("[]"), int(m.group(2) or 5060)


def options_request(uri: str, local_host: str, local_port: int) -> tuple[bytes, str]:
    branch = "z9hG4bK" + "%016x" % random.getrandbits(64)
    call_id = "%016x" % random.getrandbits(64)
    lines = [f"OPTIONS {uri} SIP/2.0",
             f"Via: SIP/2.0/UDP {local_host}:{local_port};branch={branch};rport",
             "Max-Forwards: 70",
             f"From: <sip:voicebot-probe@{local_host}>;tag={random.getrandbits(32):08x}",
             f"To: <{uri}>",
             f"Call-ID: {call_id}@{local_host}",
             "CSeq: 1 OPTIONS",
             f"Contact: <sip:voicebot-probe@{local_host}:{local_port}>",
             "Accept: application/sdp",
             "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode(), call_id


def ping_options(uri: str, timeout_s: float = 1.0) -> int:
    """Sends one SIP OPTIONS over UDP; the final status code, or 0 for no answer."""
    host, port = parse_sip_target(uri)
    family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect(addr)
        local_host, local_port = sock.getsockname()[:2]
        request, call_id = options_request(uri.strip("<>"), local_host, local_port)
        sock.send(request)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                data = sock.recv(65535).decode("utf-8", "replace")
            except (socket.timeout, ConnectionRefusedError, OSError):
                return 0
            m = re.match(r"SIP/2\.0 (\d{3})", data)
            if m and call_id in data and int(m.group(1)) >= 200:
                return int(m.group(1))
            sock.settimeout(max(0.01, deadline - time.monotonic()))
    return 0


class SipOptionsAvailability:
    """Pings ``uri`` every ``interval_s`` on a daemon thread; available while the last 2xx is fresh."""

    def __init__(self, uri: str, interval_s: float = 15.0, ttl_s: float = 45.0, timeout_s: float = 1.0) -> None:
        parse_sip_target(uri)  # a bad URI fails at start-up, naming it
        self.uri, self.interval_s, self.ttl_s, self.timeout_s = uri, interval_s, ttl_s, timeout_s
        self.last_ok = 0.0
        self.last_status = -1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="agent-options", daemon=True)
        self._thread.start()

    def probe(self) -> bool:
        try:
            status = ping_options(self.uri, self.timeout_s)
        except OSError as exc:
            log.warning("agent_options_failed", uri=self.uri, error=str(exc))
            status = 0
        if status != self.last_status:
            log.info("agent_availability", uri=self.uri, status=status, available=200 <= status < 300)
        self.last_status = status
        if 200 <= status < 300:
            self.last_ok = time.monotonic()
        return 200 <= status < 300

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.probe()
            self._stop.wait(self.interval_s)

    def available(self) -> bool:
        return self.last_ok > 0 and time.monotonic() - self.last_ok <= self.ttl_s

    def close(self) -> None:
        self._stop.set()


def make_availability(uri: str, check: str, capacity: int, interval_s: float = 15.0,
                      ttl_s: float = 45.0) -> AgentAvailability:
    if not uri:
        return NOBODY
    if check == "always":
        return FixedAvailability(1)
    if check == "capacity":
        return FixedAvailability(capacity)
    return SipOptionsAvailability(uri, interval_s, ttl_s)
