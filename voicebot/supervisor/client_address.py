"""Which client a request comes from, when the console may sit behind reverse proxies.

The TCP peer is the client unless it is a trusted proxy (``supervisor.trusted_proxies``). Then the
client is the right-most X-Forwarded-For address that is not itself a trusted proxy (each proxy
appends the peer it saw, so addresses left of that are whatever the client wrote), else X-Real-IP,
else the peer. Headers from an untrusted peer are never read: anyone can send them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 20  # a longer X-Forwarded-For is cut: no one legitimately chains more proxies


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class ClientAddressResolver:
    trusted: tuple[Network, ...] = ()

    @classmethod
    def from_config(cls, proxies: Iterable[str]) -> ClientAddressResolver:
        return cls(tuple(ipaddress.ip_network(p, strict=False) for p in proxies))

    def is_trusted(self, address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in net for net in self.trusted if ip.version == net.version)

    def resolve(self, peer: str, headers: Mapping[str, str]) -> str:
        if not self.trusted or not self.is_trusted(peer):
            return peer
        forwarded = ",".join(v for k, v in _items(headers) if k == "x-forwarded-for")
        hops = [h for h in forwarded.split(",") if h.strip()][-MAX_HOPS:]
        if not hops:
            real = _ip(headers.get("x-real-ip", "") or "")
            return str(real) if real is not None else peer
        client = peer
        for hop in reversed(hops):
            ip = _ip(hop)
            if ip is None:
                break  # garbage in the chain: keep the last hop a trusted proxy vouched for
            client = str(ip)
            if not self.is_trusted(client):
                break
        return client

def _items(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every header line, repeated ones included (Starlette's Headers keeps them all)."""
    raw = getattr(headers, "raw", None)
    if raw is not None:
        return [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw]
    return [(k.lower(), v) for k, v in headers.items()]
