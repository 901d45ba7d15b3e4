"""The SIP user agent: one pjsua2 Endpoint per process, driven by one SIP thread.

Every pjsua2 API call is made on that thread (``run``/``submit`` marshal work onto it):
pjlib aborts the process when an unregistered thread calls it, and serialising SIP work
keeps pjsua2's object lifetimes simple. Media never passes through here: each call's
``CallAudioPort`` exchanges frames with its session through lock-free deques.
"""

from __future__ import annotations

import gc
import os
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

import pjsua2 as pj

from voicebot.config import MediaConfig, SipConfig
from voicebot.errors import SipError
from voicebot.logs import get_logger
from voicebot.sip.admission import SourceAdmission, resolve_hosts, source_host
from voicebot.sip.call import SipCall
from voicebot.sip.call_control import CallControl, op_param
from voicebot.sip.connection_reuse import hold_inbound_connection, release as release_connection
from voicebot.sip.contacts import local_account_config, local_account_plans, outbound_transport
from voicebot.sip.endpoint import Transports, account_config, apply_codec_preference, create_transports, describe as _describe, ep_config
from voicebot.sip.fastbuf import self_check
from voicebot.sip.flow import FlowWatchingEndpoint
from voicebot.sip.inbound import Refusal, screen_invite
from voicebot.sip.lifetimes import PjObjectGraveyard
from voicebot.sip.port import CallAudioPort
from voicebot.sip.registration import Registration, RegistrationStatus
from voicebot.sip.trace import TRACE_LEVEL, PjLogWriter

log = get_logger("voicebot.sip")


class _BotAccount(pj.Account):
    def __init__(self, ua: SipUserAgent) -> None:
        super().__init__()
        self.ua = ua

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:  # noqa: N802
        connection = hold_inbound_connection(prm.rdata) if self.ua.sip.reuse_inbound_connection else 0
        self.ua._incoming(prm.callId, prm.rdata.wholeMsg, prm.rdata.srcAddress, self, connection)

    def onRegState(self, prm: pj.OnRegStateParam) -> None:  # noqa: N802
        self.ua.registration = {"code": prm.code, "reason": prm.reason, "expires": prm.expiration}
        log.info("registration", code=prm.code, reason=prm.reason, expires=prm.expiration)
        self.ua.registered.set() if prm.code // 100 == 2 and prm.expiration > 0 else None
        self.ua.reg.on_reg_state(prm.code, prm.reason, prm.expiration)


class SipUserAgent(CallControl):
    """Start with ``start()``; ``on_incoming(call)`` is invoked on the SIP thread for each new call."""

    def __init__(self, sip: SipConfig, media: MediaConfig, name: str = "voicebot", log_level: int = 1) -> None:
        self.sip = sip
        self.media = media
        self.name = name
        self.log_level = log_level
        self.on_incoming: Callable[[SipCall], None] | None = None
        self.registration: dict[str, Any] = {}
        self.registered = threading.Event()
        # Retries, failover and keepalive; its status is read (a frozen snapshot) from any thread.
        self.reg = Registration(sip, lambda: self.account, self._registration_changed)
        self.registration_status: RegistrationStatus = self.reg.status()
        self.transports = Transports()
        self.draining = False  # set on SIGTERM: new calls get 503, live ones go on
        self._commands: queue.Queue[tuple[Callable[[], Any], Future]] = queue.Queue()
        self._calls: dict[str, SipCall] = {}
        self._refusing: dict[str, SipCall] = {}  # refused by source admission, until DISCONNECTED
        self.graveyard = PjObjectGraveyard(media.clock_rate, media.frame_ms, sip.resources_log_s)  # released pjsua2 objects, ports
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._start_error: BaseException | None = None
        self._rtp_watch: dict[str, tuple[int, float]] = {}
        self.ep: pj.Endpoint | None = None
        self.account: _BotAccount | None = None
        self.local_accounts: dict[str, _BotAccount] = {}  # by transport, besides the registration's
        self.heartbeat = time.monotonic()  # the SIP loop's last pass; watched by the server
        self._pace_lock = threading.Lock()
        self._next_call_at = 0.0
        # Names are resolved here, once: the per-INVITE check on the SIP thread does no I/O.
        self.admission = SourceAdmission(
            sip.inbound_calls_per_s_per_source, sip.inbound_burst_per_source, sip.inbound_max_calls_per_source,
            sip.busy_retry_after_s,
            exempt=resolve_hosts([sip.registrar, *sip.registrar_failover, sip.outbound_proxy,
                                  *sip.inbound_trusted_sources]))

    # --- lifecycle -------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-sip", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise SipError("SIP stack did not start within %.0f s" % timeout)
        if self._start_error is not None:
            raise SipError(f"SIP stack failed to start: {self._start_error}") from self._start_error

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        try:
            self._create_endpoint()
        except BaseException as exc:  # surfaced by start()
            self._start_error = exc
            self._ready.set()
            self._destroy()
            return
        self._ready.set()
        last_watch = time.monotonic()
        while not self._stop.is_set():
            self.heartbeat = time.monotonic()
            self.ep.libHandleEvents(10)
            self._drain_commands()
            if time.monotonic() - last_watch >= 1.0:
                last_watch = time.monotonic()
                self._watch_rtp()
                self.graveyard.bury()
                self.graveyard.report(self.name, self.ep, len(self._calls), len(self._refusing))
                self.reg.tick()
        self._shutdown_calls()
        self.reg.close()
        self._destroy()

    def _create_endpoint(self) -> None:
        self_check()
        ep = FlowWatchingEndpoint(self.reg.connection_closed)
        self.ep = ep
        # pjlib prints its start-up banner on stdout before our log writer exists; stdout belongs
        # to commands like `voicebot call` that print JSON there.
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            ep.libCreate()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        self._writer = PjLogWriter(self.sip.trace, self.sip.srtp)
        # Message dumps always: refusals pjsua sends on its own (488 for an SRTP mismatch) are seen there.
        ep.libInit(ep_config(self.sip, self.media, self._writer, max(self.log_level, TRACE_LEVEL)))
        self.transports = create_transports(ep, self.sip)
        ep.libStart()
        ep.audDevManager().setNullDev()
        apply_codec_preference(ep, self.sip.codecs)
        self.account = _BotAccount(self)
        self.account.create(account_config(self.sip, self.reg.registrar))
        self.reg.started(self.reg.registrar)
        for plan in local_account_plans(self.sip, self.transports, self.reg.registrar):
            local = _BotAccount(self)
            local.create(local_account_config(self.sip, self.reg.registrar, plan))
            self.local_accounts[plan.kind] = local
        log.info("sip_started", ua=self.name, host=self.sip.bind_host, port=self.sip.port,
                 transports=self.transports.listening, registrar=self.reg.registrar or "direct")

    def _registration_changed(self, status: RegistrationStatus) -> None:
        self.registration_status = status

    def take_port(self) -> CallAudioPort:
        """A call's media port (SIP thread): a recycled one when free, else a new one."""
        return self.graveyard.take_port()

    def _destroy(self) -> None:
        if self.ep is None:
            return
        for call in [*self._calls.values(), *self._refusing.values()]:
            if call.pj is not None:
                self.graveyard.release(call.pj)
                call.pj = None
        self._calls.clear()
        self._refusing.clear()
        self.graveyard.bury(force=True)
        for acc in [*self.local_accounts.values(), self.account]:
            if acc is None:
                continue
            try:
                acc.shutdown()
            except (pj.Error, SipError):
                pass
        self.local_accounts.clear()
        self.account = None
        gc.collect()
        try:
            self.ep.libDestroy()
        except (pj.Error, SipError):
            pass
        self.ep = None
        log.info("sip_stopped", ua=self.name)

    def _shutdown_calls(self) -> None:
        for call in list(self._calls.values()):
            try:
                call.hangup(pj.CallOpParam(True))
            except (pj.Error, SipError):
                pass
        deadline = time.monotonic() + 2.0
        while self._calls and time.monotonic() < deadline:
            self.ep.libHandleEvents(20)
        for call in list(self._calls.values()):
            self.release_call(call)

    # --- work on the SIP thread ---------------------------------------------------------
    def submit(self, fn: Callable[[], Any]) -> Future:
        fut: Future = Future()
        if threading.current_thread() is self._thread:
            self._execute(fn, fut)
        else:
            if self._thread is None:
                raise SipError("SIP user agent is not running")
            self._commands.put((fn, fut))
        return fut

    def run(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        return self.submit(fn).result(timeout)

    def _drain_commands(self) -> None:
        while True:
            try:
                fn, fut = self._commands.get_nowait()
            except queue.Empty:
                return
            self._execute(fn, fut)

    @staticmethod
    def _execute(fn: Callable[[], Any], fut: Future) -> None:
        try:
            fut.set_result(fn())
        except BaseException as exc:  # delivered to the caller; the SIP thread goes on
            fut.set_exception(exc)

    # --- calls ----------------------------------------------------------------------
    def _incoming(self, call_index: int, invite: str = "", src_address: str = "",
                  account: pj.Account | None = None, connection: int = 0) -> None:
        account = account or self.account
        source = source_host(src_address)
        verdict = self.admission.check(source) if source else None
        if verdict is not None and verdict.refusal is not None:
            # Refused before anything else: no session, no media port, no call-table entry.
            release_connection(connection)
            self._refuse_flood(call_index, source, verdict.refusal, verdict.report_count, account)
            return
        call = SipCall(self, account, call_index, direction="inbound")
        call.inbound_connection = connection  # pinned to the dialog at the first transaction event
        call.invite = invite  # the raw INVITE: request URI and headers route supervisor calls
        self._calls[call.uid] = call
        try:
            info = call.getInfo()
            call.local_uri, call.remote_uri = info.localUri, info.remoteUri
        except (pj.Error, SipError):
            pass
        refusal = screen_invite(invite, len(self._calls), self.sip.max_calls, self.draining,
                                self.sip.busy_retry_after_s)
        if refusal is None and self.on_incoming is None:
            refusal = Refusal(503, "no handler")
        if refusal is not None:
            log.warning("call_rejected", call_id=call.uid, code=refusal.code, reason=refusal.reason,
                        remote=call.remote_uri)
            # Not inside onIncomingCall: pjsua frees the INVITE it cloned for us once the callback
            # returns, and a hang-up from within frees it first (assertion, process abort).
            self._commands.put((lambda: self._answer_now(call, refusal.code, refusal.headers), Future()))
            return
        if source:
            call.admitted_source = source
            self.admission.started(source)
        self._answer_now(call, 180)
        self.on_incoming(call)

    def _refuse_flood(self, call_index: int, source: str, refusal: Refusal, report_count: int,
                      account: pj.Account) -> None:
        if report_count:  # one line per source per second, however many INVITEs it sends
            log.warning("inbound_refused", source=source, code=refusal.code, reason=refusal.reason,
                        refused=report_count, refused_total=self.admission.refused(source))
        # Held in _refusing (not _calls: it is no live call and counts toward no limit) until
        # pjsua reports it DISCONNECTED; no port, session or recording is ever made for it.
        call = SipCall(self, account, call_index, direction="inbound")
        call.quiet = True
        self._refusing[call.uid] = call
        # Not inside onIncomingCall (see _incoming).
        self._commands.put((lambda: self._answer_now(call, refusal.code, refusal.headers), Future()))

    @staticmethod
    def _answer_now(call: SipCall, code: int, headers: dict[str, str] | None = None) -> None:
        prm = op_param(headers, code)
        try:
            call.answer(prm) if code < 300 else call.hangup(prm)
        except (pj.Error, SipError) as exc:
            log.warning("answer_failed", call_id=call.uid, code=code, error=_describe(exc))

    def answer(self, call: SipCall, code: int = 200) -> None:
        self.run(lambda: self._answer_now(call, code))

    def _pace_call_setup(self) -> None:
        """Spaces outbound call set-ups (caller's thread, never the SIP thread) to sip.max_calls_per_s."""
        with self._pace_lock:
            wait = self._next_call_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._next_call_at = max(time.monotonic(), self._next_call_at) + 1.0 / self.sip.max_calls_per_s

    def make_call(self, uri: str, headers: dict[str, str] | None = None) -> SipCall:
        if threading.current_thread() is not self._thread:
            self._pace_call_setup()

        def place() -> SipCall:
            kind = outbound_transport(uri, self.reg.registrar, self.sip.outbound_proxy)
            call = SipCall(self, self.local_accounts.get(kind or "", self.account), direction="outbound")
            prm = op_param(headers)
            self._calls[call.uid] = call
            try:
                call.makeCall(uri, prm)
            except (pj.Error, SipError) as exc:
                self._calls.pop(call.uid, None)
                raise SipError(f"cannot call {uri}: {_describe(exc)}") from None
            call.remote_uri = uri
            return call

        return self.run(place)

    def adopt_outbound_call(self) -> SipCall:
        call = SipCall(self, self.account, direction="outbound")
        self._calls[call.uid] = call
        return call

    def adopt_inbound_call(self, call_index: int) -> SipCall:
        call = SipCall(self, self.account, call_index, direction="inbound")
        self._calls[call.uid] = call
        return call

    def hangup(self, call: SipCall, code: int = 200, reason: str = "bot") -> None:
        def do() -> None:
            if call.ended:
                return
            call.local_hangup_reason = reason
            prm = pj.CallOpParam(True)
            prm.statusCode = code
            try:
                call.hangup(prm)
            except (pj.Error, SipError) as exc:
                log.warning("hangup_failed", call_id=call.uid, error=_describe(exc))

        self.run(do)

    def find_call(self, uid: str) -> SipCall | None:
        return self._calls.get(uid)

    def release_call(self, call: SipCall) -> None:
        """Called on DISCONNECTED (SIP thread): unhook media now, drop the object next loop."""
        if self._refusing.pop(call.uid, None) is not None:
            return
        call.detach_media()
        if self._calls.pop(call.uid, None) is not None and getattr(call, "admitted_source", ""):
            self.admission.ended(call.admitted_source)
        self._rtp_watch.pop(call.uid, None)
        if call.port is not None:  # the bridge may still hold the port for a tick or two
            self.graveyard.release(call.port, after_s=2.0)

    def active_calls(self) -> int:
        return len(self._calls)

    def _watch_rtp(self) -> None:
        now = time.monotonic()
        for call in list(self._calls.values()):
            if not call.answered or call.ended or call.port is None:
                continue
            call.last_stream_stats = call.stream_stats()
            pkts = call.rx_packets()
            last = self._rtp_watch.get(call.uid)
            if last is None or pkts != last[0]:
                self._rtp_watch[call.uid] = (pkts, now)
            elif now - last[1] >= self.sip.rtp_timeout_s:
                log.warning("rtp_timeout", call_id=call.uid, seconds=self.sip.rtp_timeout_s)
                call.local_hangup_reason = "rtp_timeout"
                prm = pj.CallOpParam(True)
                prm.statusCode = 408
                try:
                    call.hangup(prm)
                except (pj.Error, SipError):
                    pass
