"""A lossy network between a simulated phone and the bot, for tests and benchmarks: two one-peer UDP
NATs, one in front of each end, that drop and delay packets on the RTP ports.

Each end binds 127.0.0.1 and advertises ``sip.public_address`` = its relay's address (the bot
127.0.0.4, the phone 127.0.0.3) in Contact, Via and SDP. A datagram reaching a relayed port is
forwarded to the same port on the end behind it, from the relay's address; that end's packets on
the port go back to the peer last heard from, as a NAT would. One relay alone is not enough:
pjmedia latches its RTP destination onto the source of what it receives, so both ends must only
ever see relay addresses, and then every RTP packet crosses exactly one relay. SIP passes
untouched; on RTP ports each datagram is dropped with probability ``loss`` and otherwise delayed
by a uniform 0 to ``jitter_ms`` (so packets reorder). The draws are seeded (repeatable up to
thread timing).

Chosen over ``tc netem`` in a network namespace: sch_netem is often missing in containers (it is
here), and a relay needs no root.
"""

from __future__ import annotations

import heapq
import random
import selectors
import socket
import threading
import time
from dataclasses import dataclass

PHONE_RELAY_HOST = "127.0.0.3"
BOT_RELAY_HOST = "127.0.0.4"
RTP_PORTS = 20  # each end's RTP port range (RTP + RTCP of up to 10 calls), every port relayed


def behind_relay_env(relay_host: str) -> dict[str, str]:
    """Settings for a process (``voicebot serve`` or ``voicebot callee``) that sits behind a relay."""
    return {"VOICEBOT_SIP__PUBLIC_ADDRESS": relay_host, "VOICEBOT_SIP__TRANSPORTS": '["udp"]',
            "VOICEBOT_SIP__RTP_PORT_RANGE": str(RTP_PORTS)}


@dataclass
class RelayStats:
    forwarded: int = 0
    rtp_forwarded: int = 0
    rtp_dropped: int = 0

    @property
    def rtp_loss(self) -> float:
        return self.rtp_dropped / max(1, self.rtp_dropped + self.rtp_forwarded)


class LossyRelay:
    def __init__(self, listen_host: str, target_host: str, sip_ports: list[int], rtp_ports: list[int],
                 loss: float = 0.10, jitter_ms: float = 60.0, seed: int = 1) -> None:
        self.listen_host, self.target_host = listen_host, target_host
        self.loss, self.jitter_s = loss, jitter_ms / 1000.0
        self.rng = random.Random(seed)
        self.stats = RelayStats()
        self._sel = selectors.DefaultSelector()
        self._peer: dict[int, tuple[str, int]] = {}  # port -> outside peer last heard from
        self._lossy: set[int] = set(rtp_ports)
        self._sockets: list[socket.socket] = []
        for port in [*sip_ports, *rtp_ports]:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((listen_host, port))
            sock.setblocking(False)
            self._sel.register(sock, selectors.EVENT_READ, port)
            self._sockets.append(sock)
        self._queue: list[tuple[float, int, socket.socket, bytes, tuple[str, int]]] = []
        self._seq = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lossy-relay", daemon=True)

    @classmethod
    def in_front_of(cls, relay_host: str, sip_port: int, rtp_port: int, loss: float, jitter_ms: float,
                    seed: int) -> "LossyRelay":
        return cls(relay_host, "127.0.0.1", [sip_port], list(range(rtp_port, rtp_port + RTP_PORTS)),
                   loss, jitter_ms, seed)

    def __enter__(self) -> "LossyRelay":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        for sock in self._sockets:
            sock.close()

    def _route(self, port: int, sender: tuple[str, int]) -> tuple[str, int] | None:
        if sender == (self.target_host, port):  # from the bot: back to the outside peer
            return self._peer.get(port)
        self._peer[port] = sender
        return (self.target_host, port)

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            while self._queue and self._queue[0][0] <= now:
                _, _, sock, data, dest = heapq.heappop(self._queue)
                try:
                    sock.sendto(data, dest)
                except OSError:
                    pass
            timeout = 0.05 if not self._queue else max(0.0, self._queue[0][0] - time.monotonic())
            for key, _ in self._sel.select(timeout):
                sock, port = key.fileobj, key.data
                try:
                    data, sender = sock.recvfrom(65535)
                except OSError:
                    continue
                dest = self._route(port, sender)
                if dest is None:
                    continue
                delay = 0.0
                if port in self._lossy:
                    if self.rng.random() < self.loss:
                        self.stats.rtp_dropped += 1
                        continue
                    delay = self.rng.uniform(0.0, self.jitter_s)
                    self.stats.rtp_forwarded += 1
                self.stats.forwarded += 1
                self._seq += 1
                heapq.heappush(self._queue, (time.monotonic() + delay, self._seq, sock, data, dest))


class LossyPath:
    """Relays in front of the bot and of the phone; ``stats`` adds both up."""

    def __init__(self, bot_ports: tuple[int, int], phone_ports: tuple[int, int], loss: float = 0.10,
                 jitter_ms: float = 60.0, seed: int = 1) -> None:
        self.relays = [LossyRelay.in_front_of(BOT_RELAY_HOST, *bot_ports, loss, jitter_ms, seed),
                       LossyRelay.in_front_of(PHONE_RELAY_HOST, *phone_ports, loss, jitter_ms, seed + 1)]

    def __enter__(self) -> "LossyPath":
        for relay in self.relays:
            relay.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        for relay in self.relays:
            relay.__exit__(*exc)

    @property
    def stats(self) -> RelayStats:
        out = RelayStats()
        for relay in self.relays:
            out.forwarded += relay.stats.forwarded
            out.rtp_forwarded += relay.stats.rtp_forwarded
            out.rtp_dropped += relay.stats.rtp_dropped
        return out
