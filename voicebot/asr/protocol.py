"""The recognition service's wire format: length-prefixed binary messages over a unix socket.

Every message is ``u32 length`` (big-endian, of what follows) and a body that starts with a
``u8`` message type and a ``u32`` request id (chosen by the client, unique per connection).

    RECOGNISE  kind u8 (0 final, 1 speculative), sample_rate u32,
               call_id, language, prompt (each u16 length + UTF-8),
               expected: u16 count, then text and meaning per answer (strings as above),
               then int16 little-endian PCM
    CANCEL     (nothing more): drop the request if it is still queued
    PROMOTE    (nothing more): the request's turn has ended; queue it as end-of-turn work
    RESULT     confidence f32, audio_s f32, elapsed_s f32, queued_s f32, packed u8, text, language
    CANCELLED  (nothing more): superseded or cancelled before it ran
    ERROR      message

Small and versionless on purpose: both ends are this package, on one machine.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

MAX_MESSAGE = 64 << 20  # 30 min of 16 kHz int16 audio: anything larger is a broken peer
_LEN = struct.Struct("!I")
_HEAD = struct.Struct("!BI")
_RECOGNISE = struct.Struct("!BI")
_RESULT = struct.Struct("!ffffB")


class ProtocolError(ValueError):
    pass


class MsgType(IntEnum):
    RECOGNISE = 1
    CANCEL = 2
    PROMOTE = 3
    RESULT = 0x81
    CANCELLED = 0x82
    ERROR = 0x83


class Kind(IntEnum):
    FINAL = 0  # end of turn: the caller waits for this one
    SPECULATIVE = 1  # during the closing silence: may be superseded or never used


@dataclass(frozen=True)
class RecognitionRequest:
    request_id: int
    kind: Kind
    call_id: str
    language: str
    prompt: str
    sample_rate: int
    pcm: np.ndarray  # int16
    # The answers the call expects now, (text, meaning) (asr/closed_set.py): scored against the audio.
    expected: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Control:
    """CANCEL or PROMOTE of an earlier request on the same connection."""
    type: MsgType
    request_id: int


@dataclass(frozen=True)
class RecognitionReply:
    type: MsgType  # RESULT, CANCELLED or ERROR
    request_id: int
    text: str = ""
    language: str = ""
    confidence: float = 0.0
    audio_s: float = 0.0
    elapsed_s: float = 0.0  # decoding time of the window this request was in
    queued_s: float = 0.0  # time spent waiting in the service's queue
    packed: int = 0  # utterances decoded in the same window (1 = alone)
    error: str = ""


def _str(value: str) -> bytes:
    data = value.encode("utf-8")
    if len(data) > 0xFFFF:
        raise ProtocolError(f"string field too long ({len(data)} bytes)")
    return struct.pack("!H", len(data)) + data


def _read_str(body: bytes, pos: int) -> tuple[str, int]:
    if pos + 2 > len(body):
        raise ProtocolError("message ends inside a string length")
    (n,) = struct.unpack_from("!H", body, pos)
    pos += 2
    if pos + n > len(body):
        raise ProtocolError("message ends inside a string")
    return body[pos:pos + n].decode("utf-8"), pos + n


def encode_request(req: RecognitionRequest) -> bytes:
    pcm = np.ascontiguousarray(req.pcm, dtype="<i2").tobytes()
    body = (_HEAD.pack(MsgType.RECOGNISE, req.request_id) + _RECOGNISE.pack(req.kind, req.sample_rate)
            + _str(req.call_id) + _str(req.language) + _str(req.prompt)
            + struct.pack("!H", len(req.expected)) + b"".join(_str(t) + _str(m) for t, m in req.expected) + pcm)
    return _LEN.pack(len(body)) + body


def encode_control(type_: MsgType, request_id: int) -> bytes:
    body = _HEAD.pack(type_, request_id)
    return _LEN.pack(len(body)) + body


def encode_reply(rep: RecognitionReply) -> bytes:
    body = _HEAD.pack(rep.type, rep.request_id)
    if rep.type == MsgType.RESULT:
        body += _RESULT.pack(rep.confidence, rep.audio_s, rep.elapsed_s, rep.queued_s, min(rep.packed, 255))
        body += _str(rep.text) + _str(rep.language)
    elif rep.type == MsgType.ERROR:
        body += _str(rep.error[:4000])
    return _LEN.pack(len(body)) + body


def decode(body: bytes) -> RecognitionRequest | Control | RecognitionReply:
    if len(body) < _HEAD.size:
        raise ProtocolError(f"message of {len(body)} bytes is shorter than its header")
    type_, rid = _HEAD.unpack_from(body, 0)
    try:
        mtype = MsgType(type_)
    except ValueError:
        raise ProtocolError(f"unknown message type {type_}") from None
    pos = _HEAD.size
    if mtype == MsgType.RECOGNISE:
        if pos + _RECOGNISE.size > len(body):
            raise ProtocolError("RECOGNISE message ends inside its header")
        kind, rate = _RECOGNISE.unpack_from(body, pos)
        pos += _RECOGNISE.size
        call_id, pos = _read_str(body, pos)
        language, pos = _read_str(body, pos)
        prompt, pos = _read_str(body, pos)
        if pos + 2 > len(body):
            raise ProtocolError("RECOGNISE message ends before its expected answers")
        (count,) = struct.unpack_from("!H", body, pos)
        pos += 2
        expected = []
        for _ in range(count):
            text, pos = _read_str(body, pos)
            meaning, pos = _read_str(body, pos)
            expected.append((text, meaning))
        if (len(body) - pos) % 2:
            raise ProtocolError("RECOGNISE audio is not whole int16 samples")
        try:
            kind = Kind(kind)
        except ValueError:
            raise ProtocolError(f"unknown request kind {kind}") from None
        pcm = np.frombuffer(body, dtype="<i2", offset=pos).astype(np.int16)
        return RecognitionRequest(rid, kind, call_id, language, prompt, rate, pcm, tuple(expected))
    if mtype in (MsgType.CANCEL, MsgType.PROMOTE):
        return Control(mtype, rid)
    if mtype == MsgType.RESULT:
        conf, audio_s, elapsed_s, queued_s, packed = _RESULT.unpack_from(body, pos)
        pos += _RESULT.size
        text, pos = _read_str(body, pos)
        language, pos = _read_str(body, pos)
        return RecognitionReply(mtype, rid, text, language, conf, audio_s, elapsed_s, queued_s, packed)
    if mtype == MsgType.ERROR:
        message, _ = _read_str(body, pos)
        return RecognitionReply(mtype, rid, error=message)
    return RecognitionReply(mtype, rid)


def read_message(sock: socket.socket) -> bytes | None:
    """One message body, or None when the peer closed the connection cleanly."""
    head = _recv_exact(sock, _LEN.size)
    if head is None:
        return None
    (n,) = _LEN.unpack(head)
    if n > MAX_MESSAGE:
        raise ProtocolError(f"message of {n} bytes exceeds the {MAX_MESSAGE}-byte limit")
    body = _recv_exact(sock, n)
    if body is None:
        raise ProtocolError("connection closed in the middle of a message")
    return body


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            if buf:
                raise ProtocolError("connection closed in the middle of a message")
            return None
        buf += chunk
    return bytes(buf)
