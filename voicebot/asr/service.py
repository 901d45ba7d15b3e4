"""One recognition service per machine: one Whisper model, every call worker's utterances.

A pjsua2 process holds four calls, so 16 calls are four processes; each loading its own Whisper
with 2 threads puts 8 compute threads on 2 cores, and every process pads every utterance to its
own 10 s window. Here one process owns the model with as many threads as there are cores, and
call workers send utterances over a unix socket (``voicebot.asr.protocol``,
``voicebot.asr.remote``). The queue is ordered: end-of-turn work before speculative work,
oldest first; a newer request from a call supersedes that call's queued speculation. When
several requests wait, short ones are packed into one window (``voicebot.asr.packing``).
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from voicebot.asr.base import ExpectedPhrase
from voicebot.asr.cleanup import clean_transcript, speech_seconds
from voicebot.asr.packing import PackedDecoder, PackedText, as_float, fits
from voicebot.asr.protocol import (
    Control,
    Kind,
    MsgType,
    ProtocolError,
    RecognitionReply,
    RecognitionRequest,
    decode,
    encode_reply,
    read_message,
)
from voicebot.asr.whisper import SAMPLE_RATE, WhisperRecognizer, language_code
from voicebot.audio.pcm import resample
from voicebot.logs import get_logger

log = get_logger("voicebot.asr.service")
PACKING_MODES = ("pack", "batch", "off")
MAX_GROUP = 8  # utterances decoded together at most


class Connection:
    """One call-worker process. Replies may come from the decode thread and the reader thread."""

    _ids = itertools.count(1)

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.id = next(self._ids)
        self.alive = True
        self._send_lock = threading.Lock()

    def send(self, reply: RecognitionReply) -> None:
        if not self.alive:
            return
        data = encode_reply(reply)
        try:
            with self._send_lock:
                self.sock.sendall(data)
        except OSError:
            self.alive = False  # the worker went away; its reader thread cleans up


@dataclass
class Job:
    req: RecognitionRequest
    conn: Connection
    seq: int
    arrived: float = field(default_factory=time.monotonic)
    kind: Kind = Kind.FINAL
    audio: np.ndarray | None = None  # float32 at 16 kHz

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE if self.audio is not None else 0.0

    @property
    def pack_key(self) -> tuple[str, str]:
        return (self.req.language, self.req.prompt)


class JobQueue:
    """End-of-turn work first, then speculative, each oldest first. Thread-safe."""

    def __init__(self) -> None:
        self._jobs: list[Job] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self.added = 0  # requests ever queued

    def add(self, req: RecognitionRequest, conn: Connection, audio: np.ndarray) -> list[Job]:
        """Queues ``req``; returns the same call's queued speculative jobs it supersedes."""
        with self._cond:
            stale = [j for j in self._jobs if j.conn is conn and j.req.call_id == req.call_id
                     and j.kind == Kind.SPECULATIVE and req.call_id]
            self._jobs = [j for j in self._jobs if j not in stale]
            self._jobs.append(Job(req, conn, next(self._seq), kind=req.kind, audio=audio))
            self.added += 1
            self._cond.notify()
        return stale

    def control(self, conn: Connection, msg: Control) -> Job | None:
        """CANCEL removes a queued job (returned); PROMOTE makes it end-of-turn work."""
        with self._cond:
            for j in self._jobs:
                if j.conn is conn and j.req.request_id == msg.request_id:
                    if msg.type == MsgType.CANCEL:
                        self._jobs.remove(j)
                        return j
                    j.kind = Kind.FINAL
                    return None
        return None

    def drop(self, conn: Connection) -> None:
        with self._cond:
            self._jobs = [j for j in self._jobs if j.conn is not conn]

    def take(self, packing: str, window_s: float, gap_s: float, timeout: float = 0.5) -> list[Job]:
        """The most urgent job, plus (packing/batching) others that share its window."""
        with self._cond:
            if not self._jobs:
                self._cond.wait(timeout)
            if not self._jobs:
                return []
            order = sorted(self._jobs, key=lambda j: (j.kind, j.seq))
            group = [order[0]]
            # A prompt or expected answers need the clip on its own (prompted decode, answers scored).
            if packing != "off" and order[0].req.language and not order[0].req.prompt and not order[0].req.expected:
                for j in order[1:]:
                    if len(group) >= MAX_GROUP:
                        break
                    if j.pack_key != group[0].pack_key or j.req.expected:
                        continue
                    if packing == "pack" and not fits([g.seconds for g in group] + [j.seconds], gap_s, window_s):
                        continue
                    if packing == "batch" and j.seconds > window_s - 1.0:
                        continue
                    group.append(j)
            for j in group:
                self._jobs.remove(j)
            return group

    def __len__(self) -> int:
        with self._cond:
            return len(self._jobs)


@dataclass
class ServiceStats:
    windows: int = 0
    utterances: int = 0
    packed_windows: int = 0
    split_failures: int = 0
    superseded: int = 0
    cancelled: int = 0
    errors: int = 0


class RecognitionService:
    def __init__(self, recognizer: WhisperRecognizer, socket_path: str, packing: str = "pack",
                 gap_s: float = 1.0) -> None:
        if packing not in PACKING_MODES:
            raise ValueError(f"asr.service_packing={packing!r}: expected one of {', '.join(PACKING_MODES)}")
        self.rec = recognizer
        self.path = socket_path
        self.packing = packing
        self.window_s = recognizer._min_frames / 100
        self.gap_s = gap_s
        self.decoder = PackedDecoder(recognizer, self.window_s, gap_s)
        self.queue = JobQueue()
        self.stats = ServiceStats()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: set[Connection] = set()
        self._conns_lock = threading.Lock()

    # --- sockets -----------------------------------------------------------------------
    def start(self) -> RecognitionService:
        self._listener = bind_unix_socket(self.path)
        for target, name in ((self._accept_loop, "asr-accept"), (self._decode_loop, "asr-decode")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        log.info("asr_service_listening", socket=self.path, model=self.rec.name, packing=self.packing,
                 window_s=self.window_s)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            try:
                self._listener.close()
            except OSError:
                pass
        try:
            os.unlink(self.path)
        except OSError:
            pass
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:  # clients see the service go: their waiting requests fail at once
            conn.alive = False
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(5)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        self._listener.settimeout(0.5)
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(None)
            conn = Connection(sock)
            with self._conns_lock:
                self._conns.add(conn)
            threading.Thread(target=self._read_loop, args=(conn,), name=f"asr-conn-{conn.id}", daemon=True).start()

    def _read_loop(self, conn: Connection) -> None:
        try:
            while not self._stop.is_set():
                body = read_message(conn.sock)
                if body is None:
                    break
                msg = decode(body)
                if isinstance(msg, RecognitionRequest):
                    self._accept(conn, msg)
                elif isinstance(msg, Control):
                    job = self.queue.control(conn, msg)
                    if job is not None:
                        self.stats.cancelled += 1
                        conn.send(RecognitionReply(MsgType.CANCELLED, job.req.request_id))
                else:
                    raise ProtocolError(f"a client sent a {msg.type.name} message")
        except (ProtocolError, UnicodeDecodeError) as exc:
            log.error("asr_client_protocol_error", connection=conn.id, error=str(exc))
            conn.send(RecognitionReply(MsgType.ERROR, 0, error=f"protocol error: {exc}"))
        except OSError:
            pass
        finally:
            conn.alive = False
            self.queue.drop(conn)
            with self._conns_lock:
                self._conns.discard(conn)
            try:
                conn.sock.close()
            except OSError:
                pass

    def _accept(self, conn: Connection, req: RecognitionRequest) -> None:
        if not 4000 <= req.sample_rate <= 48000:
            conn.send(RecognitionReply(MsgType.ERROR, req.request_id,
                                       error=f"sample rate {req.sample_rate} Hz is not a telephone/speech rate"))
            return
        audio = as_float(resample(req.pcm, req.sample_rate, SAMPLE_RATE))  # resampled at the engine boundary
        for stale in self.queue.add(req, conn, audio):
            self.stats.superseded += 1
            conn.send(RecognitionReply(MsgType.CANCELLED, stale.req.request_id))

    # --- decoding ----------------------------------------------------------------------
    def _decode_loop(self) -> None:
        while not self._stop.is_set():
            group = self.queue.take(self.packing, self.window_s, self.gap_s)
            group = [j for j in group if j.conn.alive]
            if not group:
                continue
            t0 = time.monotonic()
            try:
                texts = self._decode(group)
            except Exception as exc:  # one bad window fails its requests, never the service
                log.exception("asr_service_decode_failed", utterances=len(group))
                self.stats.errors += 1
                for j in group:
                    j.conn.send(RecognitionReply(MsgType.ERROR, j.req.request_id, error=f"recognition failed: {exc}"))
                continue
            elapsed = time.monotonic() - t0
            self.stats.windows += 1
            self.stats.utterances += len(group)
            self.stats.packed_windows += len(group) > 1
            for j, t in zip(group, texts):
                j.conn.send(RecognitionReply(
                    MsgType.RESULT, j.req.request_id, t.text, language_code(j.req.language) or "", t.confidence,
                    j.seconds, elapsed, t0 - j.arrived, len(group)))

    def _decode(self, group: list[Job]) -> list[PackedText]:
        lang = group[0].req.language or None
        if len(group) == 1:
            job = group[0]
            if job.req.prompt and not job.req.expected:
                return [self.decoder.prompted(job.audio, language_code(lang), job.req.prompt)]
            expected = tuple(ExpectedPhrase(text, meaning) for text, meaning in job.req.expected)
            t = self.rec.transcribe(job.audio, lang, job.req.prompt, expected) if expected else self.rec.transcribe(job.audio, lang)
            return [PackedText(t.text, t.confidence)]
        # Too short or silent: no words, as WhisperRecognizer.transcribe decides for one clip
        # (Whisper would "hear" something in it).
        out: list[PackedText | None] = [PackedText("", 0.0) if _no_speech(j.audio) else None for j in group]
        todo = [i for i, t in enumerate(out) if t is None]
        if todo:
            audios = [group[i].audio for i in todo]
            code = language_code(lang)
            texts = None
            if self.packing == "pack" and len(todo) > 1:
                texts = self.decoder.packed(audios, code)
                if texts is None:
                    self.stats.split_failures += 1
                    log.info("asr_pack_split_failed", utterances=len(todo), action="batch")
            if texts is None:
                texts = self.decoder.batched(audios, code)
            for i, t in zip(todo, texts):
                # The same screen as a single clip: hallucinations out, simplified Chinese, digits.
                cleaned = clean_transcript(t.text, code, self.rec.options(code).prompt,
                                           speech_seconds(as_float(group[i].audio), SAMPLE_RATE))
                out[i] = t if cleaned.text == t.text else PackedText(cleaned.text, t.confidence if cleaned.text else 0.0)
        return out  # type: ignore[return-value]


def _no_speech(audio: np.ndarray) -> bool:
    return len(audio) < 0.2 * SAMPLE_RATE or float(np.abs(audio).max(initial=0.0)) < 1e-3


def bind_unix_socket(path: str) -> socket.socket:
    """Listens on ``path``; a stale socket file (no one listening) is replaced, a live one is not."""
    if os.path.exists(path):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)  # left behind by a service that died
        else:
            raise RuntimeError(f"asr.service: another recognition service already listens on {path}")
        finally:
            probe.close()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chmod(path, 0o600)  # callers' speech: this user only
    sock.listen(64)
    return sock
