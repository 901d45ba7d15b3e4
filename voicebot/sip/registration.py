"""Staying registered at the PBX: retry with backoff after any failure, registrar failover, and an
OPTIONS keepalive that notices a PBX which lost our binding.

pjsua retries a failed REGISTER by itself only after 408/5xx/6xx; one 401 or 403 (a password
changed at the PBX, a database glitch) left the bot unregistered until a restart. Here pjsua's own
retry is off (``retryIntervalSec = 0``) and every failure takes the same path: log a warning with
the status, wait (2 s, 4 s, ... up to ``register_retry_max_s``), register again, and after
``register_failover_after`` failures in a row move to the next registrar in the list.

The keepalive sends OPTIONS to our own address-of-record through the registrar, over the
registration's transport (stream_keepalive.py for TCP/TLS): a registrar that
still holds our binding forwards it to us (pjsua answers 200); one that lost it (restart with
in-memory bindings) says 404/480, and we register again at once instead of being unreachable until
the next refresh. No answer / 5xx means the registrar is unreachable: we register again too, which
runs into the backoff and failover above. A PBX that answers OPTIONS for the AOR itself with 404
even right after we registered is detected once; after that
the keepalive only checks reachability.

All methods run on the SIP thread: ``on_reg_state`` from the pjsua2 callback, the keepalive answers
and ``tick`` from the SIP loop about once a second.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Literal

import pjsua2 as pj

from voicebot.config import SipConfig
from voicebot.logs import get_logger
from voicebot.sip.endpoint import account_config, describe, own_aor, registrar_transport
from voicebot.sip.failover import PrimaryProbe
from voicebot.sip.keepalive import OptionsProbe, stream_target, udp_target
from voicebot.sip.stream_keepalive import StreamOptionsProbe, tls_client_context

log = get_logger("voicebot.sip.registration")

State = Literal["direct", "registering", "registered", "failed"]
# What a REGISTER failure most likely means, for the warning (a log reader should not need RFC 3261).
_HINTS = {
    401: "credentials rejected: check sip.username / sip.password / sip.realm against the PBX",
    403: "forbidden: wrong sip.password, or this user may not register from this address",
    404: "unknown user at the registrar: check sip.username and sip.domain",
    407: "proxy credentials rejected: check sip.password",
    408: "no answer from the registrar: check sip.registrar, the network and the PBX's firewall",
    423: "registration interval too brief for the PBX: raise sip.register_expires_s",
    503: "registrar unavailable (overloaded or restarting)",
}
_BINDING_LOST = (404, 480)


def hint_for(code: int) -> str:
    return _HINTS.get(code, "see the PBX's log for this REGISTER")


@dataclass(frozen=True)
class RegistrationStatus:
    state: State
    registrar: str
    code: int = 0
    reason: str = ""
    failures: int = 0
    registered_at: float = 0.0  # time.time() of the last success

    @property
    def ok(self) -> bool:
        return self.state in ("direct", "registered")


class Registration:
    def __init__(self, sip: SipConfig, account: Callable[[], pj.Account | None],
                 on_change: Callable[[RegistrationStatus], None] | None = None) -> None:
        self.sip = sip
        self._account = account
        self._on_change = on_change
        self.registrars = [r for r in [sip.registrar, *sip.registrar_failover] if r]
        self._index = 0
        self.state: State = "registering" if self.registrars else "direct"
        self.code, self.reason = 0, ""
        self.failures = 0  # consecutive failures at the current registrar
        self.registered_at = 0.0
        self._retry_at: float | None = None
        self._next_keepalive = time.monotonic() + sip.keepalive_interval_s
        self._probe: OptionsProbe | StreamOptionsProbe | None = None
        self._reregistered_for_404_at: float | None = None
        self._aor_probe_trusted = True
        self._reachable = True
        self._configured_registrar = ""  # the registrar the pjsua account currently has
        self._register_sent_at: float | None = None  # a REGISTER still unanswered since then
        self._primary_probe: PrimaryProbe | None = None  # while on a fail-over registrar

    @property
    def registrar(self) -> str:
        return self.registrars[self._index] if self.registrars else ""

    def status(self) -> RegistrationStatus:
        return RegistrationStatus(self.state, self.registrar, self.code, self.reason, self.failures,
                                  self.registered_at)

    # --- pjsua2 callbacks ------------------------------------------------------------------
    def on_reg_state(self, code: int, reason: str, expires: int) -> None:
        self._register_sent_at = None
        self.code, self.reason = code, reason
        if code // 100 == 2 and expires > 0:
            recovered = self.state != "registered"
            self.state, self.failures, self._retry_at = "registered", 0, None
            self.registered_at = time.time()
            self._reachable = True
            self._next_keepalive = time.monotonic() + self.sip.keepalive_interval_s
            log.info("registered", registrar=self.registrar, code=code, expires=expires, recovered=recovered)
        elif code // 100 == 2:  # our own un-REGISTER (shutdown)
            self.state = "failed"
            log.info("unregistered", registrar=self.registrar)
        else:
            self._failed(code, reason)
        self._changed()

    def _failed(self, code: int, reason: str, fail_over_now: bool = False) -> None:
        self.state = "failed"
        self.failures += 1
        if (fail_over_now or self.failures >= self.sip.register_failover_after) and len(self.registrars) > 1:
            previous = self.registrar
            self._index = (self._index + 1) % len(self.registrars)
            self.failures = 0
            log.warning("registrar_failover", previous=previous, registrar=self.registrar, code=code)
            self._retry_at = time.monotonic()  # the next registrar at once
            return
        delay = min(self.sip.register_retry_max_s, self.sip.register_retry_min_s * 2 ** max(0, self.failures - 1))
        delay *= random.uniform(0.9, 1.1)  # many workers must not hammer a recovering PBX in step
        self._retry_at = time.monotonic() + delay
        log.warning("registration_failed", registrar=self.registrar, code=code, reason=reason,
                    failures=self.failures, retry_in_s=round(delay, 1),
                    hint=hint_for(code))

    def on_options_result(self, code: int, reason: str) -> None:
        if code // 100 == 2 or (code in _BINDING_LOST and not self._aor_probe_trusted):
            if not self._reachable:
                # The registrar answers again after an outage: it may have restarted without our binding.
                log.warning("registrar_back", registrar=self.registrar, code=code)
                self._register_now()
            self._reachable = True
            return
        if code in _BINDING_LOST:
            just_done = (self._reregistered_for_404_at is not None
                         and time.monotonic() - self._reregistered_for_404_at < 2.5 * self.sip.keepalive_interval_s
                         and self.state == "registered")
            if just_done:
                self._aor_probe_trusted = False
                log.info("keepalive_reachability_only", registrar=self.registrar, code=code,
                         detail="the registrar answers OPTIONS for our AOR itself; lost bindings cannot be seen")
                return
            log.warning("registration_lost", registrar=self.registrar, code=code, reason=reason,
                        detail="the registrar no longer routes our address-of-record to us: registering again")
            self._reregistered_for_404_at = time.monotonic()
            self.state = "registering"
            self._changed()
            self._register_now()
            return
        if code in (401, 407, 405, 501):
            return  # the registrar wants auth for OPTIONS / does not do them: it is up, nothing to learn
        log.warning("registrar_unreachable", registrar=self.registrar, code=code, reason=reason)
        self._reachable = False
        self._register_now()

    def connection_closed(self, kind: str, error: str) -> None:
        """A TCP/TLS connection closed (voicebot.sip.flow): registered over that transport, register
        again now; the answer (or its failure) says whether the binding is still there."""
        if not self.registrars or registrar_transport(self.registrar, self.sip.outbound_proxy) != kind:
            return
        if self.state != "registered":
            return  # a REGISTER or its retry is already under way
        log.warning("registration_connection_closed", registrar=self.registrar, transport=kind, error=error,
                    detail="the connection the registration may live on closed: registering again")
        self.state = "registering"
        self._changed()
        self._register_now()

    # --- SIP loop ------------------------------------------------------------------------
    def tick(self) -> None:
        if not self.registrars:
            return
        now = time.monotonic()
        if self._retry_at is not None and now >= self._retry_at:
            self._retry_at = None
            self._register_now()
        if self._probe is not None:
            answer = self._probe.poll()
            if answer is not None:
                self.on_options_result(*answer)
        if (self.sip.keepalive_interval_s and self.state == "registered" and now >= self._next_keepalive
                and not (self._probe and self._probe.pending)):
            self._next_keepalive = now + self.sip.keepalive_interval_s
            self._send_options()
        self._watch_failover(now)

    def _watch_failover(self, now: float) -> None:
        """A REGISTER unanswered for register_timeout_s moves on to the next registrar (failover.py);
        on a fail-over registrar, the primary is probed and taken back once it answers."""
        if len(self.registrars) < 2:
            return
        timeout = self.sip.register_timeout_s
        if timeout and self._register_sent_at is not None and now - self._register_sent_at > timeout:
            self._register_sent_at = None
            log.warning("register_timeout", registrar=self.registrar, seconds=timeout)
            self._failed(408, f"no answer within {timeout:g} s (sip.register_timeout_s)", fail_over_now=True)
            self._changed()
        if self._index == 0 or not self.sip.registrar_failback_s:
            if self._primary_probe is not None:
                self._primary_probe.close()
                self._primary_probe = None
            return
        if self._primary_probe is None:
            self._primary_probe = PrimaryProbe(self.registrars[0], self.sip.outbound_proxy, self.sip.bind_host,
                                               self.sip.user_agent, self.sip.registrar_failback_s,
                                               tls_client_context(self.sip.tls_ca_file, self.sip.tls_verify_server))
        answer = self._primary_probe.poll()
        if answer is not None and answer.alive:
            log.warning("registrar_failback", previous=self.registrar, registrar=self.registrars[0],
                        detail=answer.detail)
            self._index, self.failures = 0, 0
            self.state = "registering"
            self._changed()
            self._register_now()

    def _register_now(self) -> None:
        account = self._account()
        if account is None:
            return
        self._register_sent_at = time.monotonic()
        try:
            if account.getInfo().regIsConfigured and self._configured_registrar == self.registrar:
                account.setRegistration(True)
            else:
                account.modify(account_config(self.sip, self.registrar))  # failover: re-registers
                self._configured_registrar = self.registrar
        except pj.Error as exc:
            log.warning("register_request_failed", registrar=self.registrar, error=describe(exc))
            self._failed(0, describe(exc))
            self._changed()

    def started(self, registrar: str) -> None:
        """The account was created with ``registrar`` (it registers on its own)."""
        self._configured_registrar = registrar
        self._register_sent_at = time.monotonic()

    def _send_options(self) -> None:
        kind = registrar_transport(self.registrar, self.sip.outbound_proxy)
        target = (udp_target(self.registrar, self.sip.outbound_proxy) if kind == "udp"
                  else stream_target(self.sip.outbound_proxy or self.registrar))
        if target is None:
            return
        if self._probe is None or self._probe.target != target or self._probe.transport != kind:
            if self._probe is not None:
                self._probe.close()
            aor = own_aor(self.sip, self.registrar)
            if kind == "udp":
                self._probe = OptionsProbe(target, aor, self.sip.bind_host, self.sip.user_agent)
            else:
                # Over TCP/TLS a closed connection is noticed at once (flow.py); this catches a binding
                # lost while the connection stays up.
                tls = tls_client_context(self.sip.tls_ca_file, self.sip.tls_verify_server) if kind == "tls" else None
                self._probe = StreamOptionsProbe(target, kind, aor, self.sip.user_agent, tls=tls)
        self._probe.send()

    def close(self) -> None:
        if self._primary_probe is not None:
            self._primary_probe.close()
            self._primary_probe = None
        if self._probe is not None:
            self._probe.close()
            self._probe = None

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.status())
