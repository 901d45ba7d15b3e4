"""``/healthz`` and ``/readyz`` of a bot process, for Docker, systemd watchdogs and load balancers.

healthz: the process answers and its SIP thread turns (a stalled SIP thread freezes every call).
readyz: also registered at the PBX (when a registrar is configured) and not draining: the state in
which the PBX can reach the bot and the bot takes calls. Both answer JSON; 200 = yes, 503 = no.

A bot that takes calls but cannot record them (full disk) is *degraded*: /readyz says
``"degraded": ["recording"]`` with the error, until a later recording is written. It stays 200 by
default: every load balancer (HAProxy, Kubernetes, Consul, AWS) treats any 2xx as in service and
anything else as out, and pulling bots whose shared recordings disk is full would turn a recording
fault into no calls at all; operators alert on the body and the ``recording_failed`` log/event.
``ops.unready_when_degraded`` makes it 503 where unrecorded calls must not be taken.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol

from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

if TYPE_CHECKING:
    from voicebot.config import Settings
    from voicebot.session.call_session import CallSession
    from voicebot.session.engines import Engines
    from voicebot.sip.agent import SipUserAgent

log = get_logger("voicebot.health")
SIP_STALL_S = 10.0


class WatchedServer(Protocol):
    """What the health checks read of the bot process (``VoicebotServer``); a protocol, so the process can
    import this module without a circle."""

    settings: Settings
    engines: Engines
    ua: SipUserAgent
    sessions: dict[str, CallSession]


def health(server: WatchedServer) -> tuple[bool, dict[str, Any]]:
    import time

    lag = time.monotonic() - server.ua.heartbeat
    ok = lag < SIP_STALL_S and server.ua.running
    # INVITEs refused by the per-source limits since start (sip/admission.py): a flood shows here.
    return ok, {"sip_thread_lag_s": round(lag, 2), "sip_running": server.ua.running,
                "inbound_refused_total": server.ua.admission.refused_total}


def readiness(server: WatchedServer) -> tuple[bool, dict[str, Any]]:
    ok, detail = health(server)
    reg = server.ua.registration_status
    detail.update(registration=asdict(reg), draining=server.ua.draining, calls=len(server.sessions),
                  max_calls=server.settings.sip.max_calls)
    recording = server.engines.recording_health.detail()
    if recording:
        detail.update(degraded=["recording"], **recording)
    degraded_out = bool(recording) and server.settings.ops.unready_when_degraded
    return ok and reg.ok and not server.ua.draining and not degraded_out, detail


class HealthEndpoint:
    def __init__(self, server: WatchedServer, host: str, port: int) -> None:
        checks = {"/healthz": health, "/readyz": readiness}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                check = checks.get(self.path.split("?")[0])
                if check is None:
                    self.send_error(404, "try /healthz or /readyz")
                    return
                ok, detail = check(server)
                body = json.dumps({"ok": ok, **detail}).encode()
                self.send_response(200 if ok else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # probes every few seconds: not worth a log line
                pass

        try:
            self.httpd = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise VoicebotError(f"cannot serve health checks on {host}:{port} (ops.health_port): {exc}") from exc
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, name="health", daemon=True).start()
        log.info("health_listening", url=f"http://{host}:{port}/readyz")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
