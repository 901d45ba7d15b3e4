"""The OPTIONS keepalive over TCP/TLS: a registrar that lost our binding while the connection stayed up.

Registered over TCP/TLS, a closed connection triggers a REGISTER (flow.py), but a registrar can lose
the binding with every connection still open: an admin or a failover node removing it, a usrloc
database wiped under a running proxy. Callers then got 404 until the next refresh. This probe asks
the same question as the UDP one (keepalive.py), an OPTIONS to our own address-of-record through the
registrar, over a short-lived connection of the registration's transport: 200 means the registrar
still routes our AOR to us, 404/480 that the binding is gone.

pjsua is not used (see keepalive.py); the blocking connect, TLS handshake and read run on a daemon
thread per probe, so the SIP loop only starts it and polls for the answer.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import uuid

from voicebot.logs import get_logger
from voicebot.sip.keepalive import Target

log = get_logger("voicebot.sip.stream_keepalive")

_MAX_ANSWER = 65536


def tls_client_context(ca_file: str, verify_server: bool) -> ssl.SSLContext:
    """The same trust as the bot's TLS transport: verified against ``sip.tls_ca_file`` only when asked."""
    ctx = ssl.create_default_context(cafile=ca_file or None)
    if not verify_server:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def options_request(aor: str, transport: str, local: tuple[str, int], user_agent: str, call_id: str,
                    cseq: int) -> bytes:
    host, port = local
    host = f"[{host}]" if ":" in host else host
    return (f"OPTIONS {aor} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport.upper()} {host}:{port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <{aor}>;tag={uuid.uuid4().hex[:10]}\r\n"
            f"To: <{aor}>\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: {cseq} OPTIONS\r\n"
            f"User-Agent: {user_agent} keepalive\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def final_status(stream: bytes, call_id: str) -> tuple[int, str] | None:
    """The first final response for ``call_id`` in what was read so far (responses framed by headers;
    a registrar's keepalive CRLFs and provisional answers are skipped)."""
    for message in stream.decode("utf-8", "replace").split("\r\n\r\n"):
        message = message.lstrip("\r\n")
        if not message.startswith("SIP/2.0 ") or call_id not in message:
            continue
        status = message.split("\r\n", 1)[0].split(" ", 2)
        code = int(status[1]) if len(status) > 1 and status[1].isdigit() else 0
        if code >= 200:
            return code, status[2] if len(status) > 2 else ""
    return None


class StreamOptionsProbe:
    """Same interface as keepalive.OptionsProbe: ``send`` then ``poll`` from the SIP loop."""

    def __init__(self, target: Target, transport: str, aor: str, user_agent: str, timeout_s: float = 5.0,
                 tls: ssl.SSLContext | None = None) -> None:
        self.target, self.transport, self.aor = target, transport, aor
        self.user_agent, self.timeout_s, self.tls = user_agent, timeout_s, tls
        self._cseq = 0
        self._answer: tuple[int, str] | None = None
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> bool:
        return self._thread is not None

    def send(self) -> None:
        self._cseq += 1
        self._answer = None
        self._thread = threading.Thread(target=self._ask, args=(uuid.uuid4().hex, self._cseq),
                                        name="sip-stream-keepalive", daemon=True)
        self._thread.start()

    def _ask(self, call_id: str, cseq: int) -> None:
        deadline = time.monotonic() + self.timeout_s
        try:
            raw = socket.create_connection((self.target.host, self.target.port), timeout=self.timeout_s)
        except OSError as exc:
            self._answer = (503, f"no registrar listening ({exc.strerror or exc})")
            return
        try:
            conn = (self.tls.wrap_socket(raw, server_hostname=self.target.host) if self.tls is not None else raw)
            conn.sendall(options_request(self.aor, self.transport, conn.getsockname()[:2], self.user_agent,
                                         call_id, cseq))
            stream = b""
            while (left := deadline - time.monotonic()) > 0 and len(stream) < _MAX_ANSWER:
                conn.settimeout(left)
                chunk = conn.recv(4096)
                if not chunk:
                    break
                stream += chunk
                if (answer := final_status(stream, call_id)) is not None:
                    self._answer = answer
                    return
            self._answer = (408, f"no answer within {self.timeout_s:.0f} s")
        except ssl.SSLError as exc:
            self._answer = (503, f"TLS with the registrar failed ({exc.reason or exc})")
        except socket.timeout:
            self._answer = (408, f"no answer within {self.timeout_s:.0f} s")
        except OSError as exc:
            self._answer = (503, f"connection to the registrar failed ({exc.strerror or exc})")
        finally:
            raw.close()

    def poll(self) -> tuple[int, str] | None:
        if self._thread is None or self._thread.is_alive():
            return None
        self._thread = None
        return self._answer or (408, "no answer")

    def close(self) -> None:
        self._thread = None  # a probe still running ends on its own timeout; its answer is dropped
