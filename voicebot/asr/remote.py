"""A ``Recognizer`` that sends utterances to the machine's recognition service (``voicebot.asr.service``).

``submit`` returns at once with a future that the connection's reader thread completes, so no
thread waits per utterance. A service that is down or goes away fails the waiting futures with
a ``RecognitionServiceError`` naming the socket, the next request reconnects, and a request
that gets no answer within ``timeout_s`` fails too: a call never hangs on recognition.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from concurrent.futures import Future

import numpy as np

from voicebot.asr.base import Expected, Transcript, phrases
from voicebot.asr.protocol import (
    Kind,
    MsgType,
    ProtocolError,
    RecognitionReply,
    RecognitionRequest,
    decode,
    encode_control,
    encode_request,
    read_message,
)
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

log = get_logger("voicebot.asr.remote")
SAMPLE_RATE = 16000
RECONNECT_BACKOFF_S = 0.5


class RecognitionServiceError(VoicebotError):
    pass


class RemoteFuture(Future):
    """A recognition in the service; ``cancel()`` also withdraws it there while it is queued."""

    def __init__(self, request_id: int, kind: Kind) -> None:
        super().__init__()
        self.request_id = request_id
        self.kind = kind
        self.sent_at = time.monotonic()
        self.conn: _Connection | None = None


class _Connection:
    def __init__(self, path: str, connect_timeout_s: float) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(connect_timeout_s)
        self.sock.connect(path)
        self.sock.settimeout(None)
        self.pending: dict[int, RemoteFuture] = {}
        self.alive = True
        self._lock = threading.Lock()
        threading.Thread(target=self._read_loop, name="asr-remote-reader", daemon=True).start()

    def send(self, data: bytes, fut: RemoteFuture | None = None) -> None:
        with self._lock:
            if not self.alive:
                raise OSError("connection closed")
            if fut is not None:
                self.pending[fut.request_id] = fut
                fut.conn = self
            try:
                self.sock.sendall(data)
            except OSError:
                if fut is not None:
                    self.pending.pop(fut.request_id, None)
                raise

    def _read_loop(self) -> None:
        reason = "the service closed the connection"
        try:
            while True:
                body = read_message(self.sock)
                if body is None:
                    break
                msg = decode(body)
                if not isinstance(msg, RecognitionReply):
                    raise ProtocolError(f"the service sent a {type(msg).__name__}")
                self._complete(msg)
        except (OSError, ProtocolError) as exc:
            reason = str(exc)
        self.close(reason)

    def _complete(self, rep: RecognitionReply) -> None:
        if rep.type == MsgType.ERROR and rep.request_id == 0:
            raise ProtocolError(rep.error)
        with self._lock:
            fut = self.pending.pop(rep.request_id, None)
        if fut is None or fut.done():
            return  # timed out or cancelled here already
        if rep.type == MsgType.RESULT:
            fut.set_result(Transcript(rep.text, rep.confidence, rep.language, rep.audio_s,
                                      rep.queued_s + rep.elapsed_s))
        elif rep.type == MsgType.CANCELLED:
            fut.cancel()
        else:
            fut.set_exception(RecognitionServiceError(f"recognition service at {self.path}: {rep.error}"))

    def close(self, reason: str) -> None:
        with self._lock:
            if not self.alive:
                return
            self.alive = False
            pending, self.pending = list(self.pending.values()), {}
        try:
            self.sock.close()
        except OSError:
            pass
        if pending:
            log.error("asr_service_connection_lost", socket=self.path, reason=reason, failed_requests=len(pending))
        for fut in pending:
            if not fut.done():
                fut.set_exception(RecognitionServiceError(
                    f"recognition service at {self.path} went away ({reason}); is `voicebot asr-service` running?"))


class RemoteRecognizer:
    """Thread-safe; one per process, shared by every call (like a loaded model)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, socket_path: str, timeout_s: float = 20.0, connect_timeout_s: float = 2.0) -> None:
        self.path = socket_path
        self.name = f"service:{socket_path}"
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._conn: _Connection | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._last_failure = 0.0
        self._closed = threading.Event()
        self._inflight: set[RemoteFuture] = set()
        threading.Thread(target=self._watchdog, name="asr-remote-timeouts", daemon=True).start()

    # --- Recognizer protocol -------------------------------------------------------------
    def transcribe(self, pcm: np.ndarray, language: str | None = None, prompt: str = "",
                   expected: Expected = ()) -> Transcript:
        return self.submit(pcm, language, prompt=prompt, expected=expected).result()  # the watchdog bounds the wait

    def stream(self, language: str | None = None) -> None:
        return None

    # --- what the session uses when it can ------------------------------------------------
    def submit(self, pcm: np.ndarray, language: str | None = None, call_id: str = "",
               kind: Kind = Kind.FINAL, prompt: str = "", sample_rate: int | None = None,
               expected: Expected = ()) -> RemoteFuture:
        """``sample_rate``: the audio's rate when it is not ``self.sample_rate``; the service resamples.
        ``expected``: the answers the call expects now, scored by the service as a process scores them."""
        fut = RemoteFuture(next(self._ids), kind)
        if pcm.dtype != np.int16:
            pcm = (np.clip(pcm, -1.0, 1.0) * 32767.0).astype(np.int16)
        texts, meaning = phrases(expected)
        req = RecognitionRequest(fut.request_id, kind, call_id, language or "", prompt,
                                 sample_rate or self.sample_rate, pcm, tuple((t, meaning[t]) for t in texts))
        try:
            self._connection().send(encode_request(req), fut)
        except OSError as exc:
            self._last_failure = time.monotonic()
            fut.set_exception(RecognitionServiceError(
                f"recognition service at {self.path} is not reachable ({exc}); is `voicebot asr-service` running?"))
            return fut
        with self._lock:
            self._inflight.add(fut)
        fut.add_done_callback(self._settled)
        return fut

    def promote(self, fut: Future) -> None:
        """The utterance's turn has ended: what was speculative is now what the caller waits for."""
        if isinstance(fut, RemoteFuture) and not fut.done() and fut.kind == Kind.SPECULATIVE:
            fut.kind = Kind.FINAL
            self._control(fut, MsgType.PROMOTE)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close("client closed")

    # --- internals ---------------------------------------------------------------------
    def _connection(self) -> _Connection:
        with self._lock:
            if self._conn is not None and self._conn.alive:
                return self._conn
            if time.monotonic() - self._last_failure < RECONNECT_BACKOFF_S:
                raise OSError("reconnect backoff after a failure")
            self._conn = _Connection(self.path, self.connect_timeout_s)
            log.info("asr_service_connected", socket=self.path)
            return self._conn

    def _control(self, fut: RemoteFuture, type_: MsgType) -> None:
        conn = fut.conn
        if conn is not None and conn.alive:
            try:
                conn.send(encode_control(type_, fut.request_id))
            except OSError:
                pass  # the reader fails the future

    def _settled(self, fut: Future) -> None:
        with self._lock:
            self._inflight.discard(fut)  # type: ignore[arg-type]
        if fut.cancelled():
            assert isinstance(fut, RemoteFuture)
            self._control(fut, MsgType.CANCEL)  # stale speculation: don't spend the model on it

    def _watchdog(self) -> None:
        while not self._closed.wait(0.2):
            now = time.monotonic()
            with self._lock:
                late = [f for f in self._inflight if now - f.sent_at > self.timeout_s]
            for fut in late:
                if fut.done():
                    continue
                try:
                    fut.set_exception(RecognitionServiceError(
                        f"recognition service at {self.path} gave no answer within {self.timeout_s:.0f} s "
                        f"(asr.service_timeout_s)"))
                except Exception:  # completed meanwhile
                    continue
                self._control(fut, MsgType.CANCEL)
