"""Per-source admission of incoming INVITEs: a token bucket and a live-call cap for each source IP.

Runs in ``onIncomingCall`` on the SIP thread, before any media or session exists: every check is
O(1) dictionary work on the monotonic clock, with no I/O and no lock (only the SIP thread calls
it). Without it one source could open calls faster than pjlib frees their sockets (64 handles)
or hold every call slot; outbound set-up is paced by ``sip.max_calls_per_s``, this paces inbound.

The PBX (registrar, fail-over registrars, outbound proxy) and ``sip.inbound_trusted_sources`` are
exempt: a trunk carries every customer's calls from one address and must never be throttled.
"""

from __future__ import annotations

import math
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable

from voicebot.sip.inbound import Refusal

# Sources remembered at once. A flood from many (spoofed) addresses must not grow memory without
# bound: the least recently seen source is forgotten, which at worst gives it a fresh bucket.
MAX_TRACKED_SOURCES = 4096
# One log line per source per this many seconds, carrying the count refused meanwhile.
REPORT_EVERY_S = 1.0


@dataclass
class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; one INVITE costs one token."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """0.0 = admitted (a token spent), else the seconds until a token will be there."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class _Source:
    bucket: TokenBucket
    live_calls: int = 0
    refused_total: int = 0
    refused_unreported: int = 0
    last_report: float = -math.inf


@dataclass(frozen=True)
class AdmissionVerdict:
    refusal: Refusal | None
    # Set when this refusal should be logged now: how many were refused since the last line.
    report_count: int = 0


def source_host(address: str) -> str:
    """'1.2.3.4:5060' -> '1.2.3.4' (pjsua2's rdata.srcAddress); '[::1]:5060' -> '::1'."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


def uri_host(uri: str) -> str:
    """The host part of a SIP URI or 'host[:port]': 'sip:pbx.example.com:5070;lr' -> 'pbx.example.com'."""
    rest = uri.strip().strip("<>")
    for scheme in ("sips:", "sip:"):
        if rest.lower().startswith(scheme):
            rest = rest[len(scheme):]
    rest = rest.split(";", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return source_host(rest)


def resolve_hosts(names: Iterable[str]) -> frozenset[str]:
    """Addresses of the exempt hosts, resolved once at start-up (never on the SIP thread's hot path).

    A name that does not resolve is kept as is: it still matches nothing, and the PBX then only
    gets the per-source limits, which its defaults are sized to pass.
    """
    out: set[str] = set()
    for name in names:
        host = uri_host(name)
        if not host:
            continue
        out.add(host)
        try:
            out.update(info[4][0] for info in socket.getaddrinfo(host, None, socket.AF_INET))
        except OSError:
            pass
    return frozenset(out)


class SourceAdmission:
    """``check(source)`` before the other screens, ``started(source)`` once a call is accepted and
    ``ended(source)`` when it is released. All on the SIP thread."""

    def __init__(self, rate_per_s: float, burst: int, max_calls_per_source: int, retry_after_s: int,
                 exempt: Iterable[str] = (), clock: Callable[[], float] = time.monotonic,
                 max_tracked: int = MAX_TRACKED_SOURCES) -> None:
        self.rate = rate_per_s
        self.burst = float(burst)
        self.max_calls = max_calls_per_source  # 0 = no per-source cap (sip.max_calls still applies)
        self.retry_after_s = retry_after_s
        self.exempt = frozenset(exempt)
        self.clock = clock
        self.max_tracked = max_tracked
        self._sources: OrderedDict[str, _Source] = OrderedDict()
        self.refused_total = 0

    def _source(self, host: str, now: float) -> _Source:
        src = self._sources.get(host)
        if src is None:
            src = _Source(TokenBucket(self.rate, self.burst, self.burst, now))
            self._sources[host] = src
            if len(self._sources) > self.max_tracked:
                # Forget the stalest source with no live call; one with live calls keeps its count.
                for old, state in self._sources.items():
                    if state.live_calls == 0 and old != host:
                        del self._sources[old]
                        break
        else:
            self._sources.move_to_end(host)
        return src

    def check(self, host: str) -> AdmissionVerdict:
        if host in self.exempt or self.rate <= 0:
            return AdmissionVerdict(None)
        now = self.clock()
        src = self._source(host, now)
        refusal = None
        wait = src.bucket.take(now)
        if wait > 0:
            # 503: overloaded *for this source*; Retry-After says when its next token is due.
            retry = max(1, math.ceil(wait))
            refusal = Refusal(503, f"source {host} over sip.inbound_calls_per_s_per_source = {self.rate:g} "
                                   f"(burst {self.burst:g})", {"Retry-After": str(retry)})
        elif self.max_calls and src.live_calls >= self.max_calls:
            # 486: busy for this caller, like the global sip.max_calls limit.
            retry = {"Retry-After": str(self.retry_after_s)} if self.retry_after_s else {}
            refusal = Refusal(486, f"source {host} has {src.live_calls} calls in progress, "
                                   f"sip.inbound_max_calls_per_source = {self.max_calls}", retry)
        if refusal is None:
            return AdmissionVerdict(None)
        src.refused_total += 1
        src.refused_unreported += 1
        self.refused_total += 1
        if now - src.last_report >= REPORT_EVERY_S:
            count, src.refused_unreported, src.last_report = src.refused_unreported, 0, now
            return AdmissionVerdict(refusal, count)
        return AdmissionVerdict(refusal)

    def started(self, host: str) -> None:
        if host in self.exempt or self.rate <= 0:
            return
        self._source(host, self.clock()).live_calls += 1

    def ended(self, host: str) -> None:
        src = self._sources.get(host)
        if src is not None and src.live_calls > 0:
            src.live_calls -= 1

    def refused(self, host: str) -> int:
        src = self._sources.get(host)
        return src.refused_total if src else 0
