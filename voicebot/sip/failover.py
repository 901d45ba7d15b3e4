"""Faster registrar failover, and the way back to the primary.

A REGISTER to a dead registrar (no ICMP, a blackholed address) is answered by pjsip's own 408 only
after its 32 s transaction timeout: with ``register_failover_after = 3`` failover took 102 s. With a
second registrar configured the bot stops waiting after ``sip.register_timeout_s`` and moves on at
once. On a fail-over registrar it pings the primary with OPTIONS every ``sip.registrar_failback_s``
and registers there again as soon as it answers (it used to stay on the fail-over registrar forever).

Runs on the SIP thread from ``Registration.tick``; the probe is the keepalive's OPTIONS over the
primary's own transport (keepalive.py for UDP, stream_keepalive.py for TCP/TLS): any SIP answer
means it is back.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass

from voicebot.sip.endpoint import registrar_transport
from voicebot.sip.keepalive import OptionsProbe, stream_target, udp_target


@dataclass(frozen=True)
class FailbackAnswer:
    alive: bool
    detail: str


class PrimaryProbe:
    """Asks now and then whether the primary registrar is back; ``poll()`` gives the answer once."""

    def __init__(self, primary: str, outbound_proxy: str, bind_host: str, user_agent: str, every_s: float,
                 tls: ssl.SSLContext | None = None) -> None:
        from voicebot.sip.stream_keepalive import StreamOptionsProbe

        self.primary, self.every_s = primary, every_s
        aor = primary if primary.startswith("sip") else f"sip:{primary}"
        udp = udp_target(primary, "")  # the primary itself, not the proxy in front of both
        if udp is not None:
            self._probe: OptionsProbe | StreamOptionsProbe = OptionsProbe(udp, aor, bind_host, user_agent,
                                                                          timeout_s=3.0)
        else:
            kind = registrar_transport(primary)
            self._probe = StreamOptionsProbe(stream_target(primary), kind, aor, user_agent, timeout_s=3.0,
                                             tls=tls if kind == "tls" else None)
        self._next = time.monotonic() + every_s

    def poll(self) -> FailbackAnswer | None:
        now = time.monotonic()
        if self._probe.pending:
            answer = self._probe.poll()
            if answer is None:
                return None
            code, reason = answer
            # Any SIP answer means it is up; the probes' own 408/503 mean no answer or no connection.
            alive = not (code in (408, 503) and ("no " in reason or "failed" in reason))
            return FailbackAnswer(alive, f"{code} {reason}")
        if now >= self._next:
            self._next = now + self.every_s
            self._probe.send()
        return None

    def close(self) -> None:
        self._probe.close()
