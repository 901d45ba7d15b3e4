"""The voicebot process: one SIP user agent, shared engines, one CallSession per call."""

from __future__ import annotations

import faulthandler
import gc
import signal
import sys
import threading
import time
from typing import Any

from voicebot.call_events import EventSink
from voicebot.config import Settings
from voicebot.dialogue.base import CallInfo
from voicebot.logs import get_logger
from voicebot.server.health import HealthEndpoint
from voicebot.session.call_session import CallSession
from voicebot.session.engines import Engines, load_engines
from voicebot.sip.agent import SipUserAgent
from voicebot.sip.call import SipCall

log = get_logger("voicebot.server")


class VoicebotServer:
    def __init__(self, settings: Settings, engines: Engines | None = None, sinks: list[EventSink] | None = None) -> None:
        self.settings = settings
        self.engines = engines or load_engines(settings, sinks)
        self.ua = SipUserAgent(settings.sip, settings.media, name="voicebot")
        self.ua.on_incoming = self._on_incoming
        self.sessions: dict[str, CallSession] = {}  # calls in progress; a finished one leaves at the next reap
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._signals_received: dict[int, int] = {}  # by the handlers (install_signal_handlers)
        self._signals_handled: dict[int, int] = {}  # by the serve loop
        from voicebot.supervisor.phone import SupervisorLine

        self.supervision = SupervisorLine(self)
        self.console_channel = None  # typed whispers / supervisor call requests via Redis
        self.health = None

    def start(self) -> None:
        # The media clock thread needs the GIL every 20 ms per call; a shorter switch interval
        # bounds how long a busy Python thread can make it wait (default 5 ms).
        sys.setswitchinterval(0.001)
        self.ua.start()
        # Models, plans and tables loaded at start-up live as long as the process: out of the cyclic
        # collector's sight, a full collection scans only what calls made, in milliseconds, not 150 ms.
        gc.collect()
        gc.freeze()
        if self.settings.ops.health_port:
            self.health = HealthEndpoint(self, self.settings.ops.health_host, self.settings.ops.health_port)
        if self.settings.redis.url and self.settings.phone_supervision.enabled:
            from voicebot.store.redis_server import connect_redis
            from voicebot.supervisor.channel import ConsoleChannel

            self.console_channel = ConsoleChannel(self, connect_redis(self.settings))
            self.console_channel.start()

    def stop(self) -> None:
        self._stop.set()
        if self.health is not None:
            self.health.close()
        if self.console_channel is not None:
            self.console_channel.stop()
        for session in list(self.sessions.values()):
            if not session.call.ended:
                self.ua.hangup(session.call, 503, reason="shutdown")
        for session in list(self.sessions.values()):
            session.join(5)
        self.ua.stop()
        self.engines.close()

    def install_signal_handlers(self) -> None:
        """Main thread, before the bot says it is ready: a SIGHUP arriving earlier would kill it.

        A handler only counts its signal; the serve loop acts on it. A handler runs between two
        bytecodes of the main thread, which may hold a lock at that moment: the drain used to log
        from the SIGTERM handler, and a SIGTERM that came while the main thread wrote a log line
        deadlocked on the log's lock (the process never exited)."""
        def count(signum: int, _frame: object) -> None:
            self._signals_received[signum] = self._signals_received.get(signum, 0) + 1

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, count)

    def _take_signals(self) -> None:
        """What the handlers counted since the last pass: SIGINT stops, SIGTERM drains (a second one
        stops now), SIGHUP reloads the plans."""
        for signum, received in list(self._signals_received.items()):
            handled = self._signals_handled.get(signum, 0)
            for _ in range(received - handled):
                if signum == signal.SIGINT:
                    self._stop.set()
                elif signum == signal.SIGTERM:
                    self._begin_drain()
                else:
                    self.reload_dialplans()
            self._signals_handled[signum] = received

    def serve_forever(self) -> None:
        self.install_signal_handlers()
        stalled = False
        while not self._stop.is_set():
            time.sleep(0.2)
            self._take_signals()
            self._reap()
            stalled = self._watch_sip_thread(stalled)
            if self._drain_deadline is not None and (not self.sessions or time.monotonic() > self._drain_deadline):
                if self.sessions:
                    log.warning("drain_timeout", calls=len(self.sessions))
                self._stop.set()
        self.stop()

    _drain_deadline: float | None = None

    def reload_dialplans(self) -> bool:
        """SIGHUP: load the dialogue plans again. Calls in progress keep the plan they started with;
        new calls get the new one. A plan that fails to load leaves the old one in service."""
        from voicebot.session.engines import load_dialogue_factory

        try:
            dialogues = load_dialogue_factory(self.settings)
            self.engines.renderer.prerender(list(dialogues.prompts()))
        except Exception as exc:  # a bad edit must not take the running bot down
            log.error("dialplan_reload_failed", plan=self.settings.dialogue.plan, error=str(exc),
                      detail="the previous plans stay in service")
            return False
        self.engines.dialogues = dialogues
        log.info("dialplan_reloaded", plan=self.settings.dialogue.plan, live_calls=len(self.sessions))
        return True

    def _begin_drain(self) -> None:
        """SIGTERM: take no new calls (503 + Retry-After), let live ones finish; a second SIGTERM stops now."""
        if self._drain_deadline is not None:
            self._stop.set()
            return
        self.ua.draining = True
        self._drain_deadline = time.monotonic() + self.settings.ops.drain_timeout_s
        log.info("draining", calls=len(self.sessions), timeout_s=self.settings.ops.drain_timeout_s)

    def _watch_sip_thread(self, reported: bool) -> bool:
        """A SIP thread that stops turning freezes every call: say so loudly, with every stack."""
        lag = time.monotonic() - self.ua.heartbeat
        if lag > 10 and not reported:
            log.error("sip_thread_stalled", seconds=round(lag, 1), calls=len(self.sessions))
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            return True
        return reported and lag > 10

    def _on_incoming(self, call: SipCall) -> None:
        # SIP thread: only construct and start; the session answers from its own thread.
        if self.supervision.claims(call):
            return  # a supervisor dialling in to listen, whisper or barge
        info = CallInfo(call.uid, "inbound", call.remote_uri or "", self.settings.dialogue.locale)
        self._start_session(call, info)

    def place_call(self, uri: str, customer: dict[str, Any] | None = None, locale: str | None = None,
                   cleared: Any = None) -> CallSession:
        """Raises ``CallRefused`` for a customer's number the compliance gate refuses (``cleared``: a
        campaign worker's fresh Decision for this number, so the gate is not asked twice)."""
        from voicebot.campaign.compliance import check_customer_call, release_call, staff_destinations

        # Counted in the number's frequency cap from here (released if the INVITE cannot be sent).
        decision = check_customer_call(self._compliance_redis, self.settings.campaign, uri, path="place_call",
                                       cleared=cleared, staff=staff_destinations(self.settings))
        try:
            call = self.ua.make_call(uri)
        except Exception:
            if decision is not cleared:
                release_call(self._compliance_redis(), decision)
            raise
        info = CallInfo(call.uid, "outbound", uri, locale or self.settings.dialogue.locale, dict(customer or {}))
        return self._start_session(call, info)

    def _start_session(self, call: SipCall, info: CallInfo) -> CallSession:
        session = CallSession(self.ua, call, self.engines, info)
        self._reap()
        with self._lock:
            self.sessions[call.uid] = session
        session.start()
        return session

    def _compliance_redis(self):
        if getattr(self, "_compliance_client", None) is None:
            from voicebot.store.redis_server import connect_redis

            self._compliance_client = connect_redis(self.settings)
        return self._compliance_client

    def find_session(self, call_id: str) -> CallSession | None:
        return self.sessions.get(call_id)

    def live_sessions(self) -> list[CallSession]:
        """Answered calls in progress, oldest first (the supervisor menu numbers them in this order)."""
        with self._lock:
            return [s for s in self.sessions.values() if s.answered_at and s.result is None and not s.call.ended]

    def _reap(self) -> None:
        """Forget finished calls. A session held here holds its call's media port, which the SIP
        stack can then never recycle: every call would make a new port until pjmedia's bridge is full."""
        with self._lock:
            for uid, session in list(self.sessions.items()):
                if session.result is not None:
                    del self.sessions[uid]

    def forget(self, session: CallSession) -> None:
        """A caller that waited for ``session`` to finish (a campaign's dialer) lets it go now."""
        with self._lock:
            if session.result is not None and self.sessions.get(session.call.uid) is session:
                del self.sessions[session.call.uid]

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            self._reap()
            if not self.sessions:
                return True
            time.sleep(0.1)
        return False
