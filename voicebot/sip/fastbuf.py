"""Move audio in and out of pjsua2 ``MediaFrame``s with as few SWIG calls as possible.

``bytes(frame.buf)`` walks the std::vector one element at a time (~0.6 ms a frame), and
every SWIG call is a point where the media clock thread may lose the GIL. So we read the
frame's own memory: pj::MediaFrame is {int type; std::vector<uint8_t> buf; unsigned size},
and a libstdc++ vector is {begin, end, end_of_storage}. ``self_check()`` verifies this
layout at start-up and refuses to run if it ever changes.
"""

from __future__ import annotations

import ctypes

_PTR = ctypes.c_void_p.from_address
_INT = ctypes.c_int.from_address
_UINT = ctypes.c_uint.from_address
_P = ctypes.sizeof(ctypes.c_void_p)
TYPE_OFFSET = 0
VECTOR_OFFSET = 8
SIZE_OFFSET = VECTOR_OFFSET + 3 * _P
FRAME_AUDIO = 1  # PJMEDIA_FRAME_TYPE_AUDIO
FRAME_NONE = 0


def read_frame(frame) -> bytes | None:
    """The frame's audio bytes, or None when it carries no audio. No SWIG call."""
    addr = int(frame.this)
    if _INT(addr + TYPE_OFFSET).value != FRAME_AUDIO:
        return None
    begin = _PTR(addr + VECTOR_OFFSET).value
    end = _PTR(addr + VECTOR_OFFSET + _P).value
    if not begin or end <= begin:
        return None
    return ctypes.string_at(begin, end - begin)


class FrameWriter:
    """Fills requested frames from a reusable vector: one SWIG call (the vector copy) per frame."""

    def __init__(self, frame_bytes: int) -> None:
        import pjsua2 as pj

        self._vec = pj.ByteVector(b"\x00" * frame_bytes)
        self._data = (ctypes.c_char * frame_bytes).from_address(_PTR(int(self._vec.this)).value)
        self.frame_bytes = frame_bytes

    def write(self, frame, data: bytes) -> None:
        self._data.raw = data  # memcpy under the GIL (ctypes.memmove would release it)
        frame.buf = self._vec
        addr = int(frame.this)
        _INT(addr + TYPE_OFFSET).value = FRAME_AUDIO
        _UINT(addr + SIZE_OFFSET).value = len(data)

    @staticmethod
    def write_silence(frame) -> None:
        addr = int(frame.this)
        _INT(addr + TYPE_OFFSET).value = FRAME_NONE
        _UINT(addr + SIZE_OFFSET).value = 0


def self_check() -> None:
    """Fail loudly at start-up if pjsua2's frame layout is not what the fast path assumes."""
    import pjsua2 as pj

    probe = bytes(range(160)) * 4
    frame = pj.MediaFrame()
    frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
    frame.buf = pj.ByteVector(probe)
    frame.size = len(probe)
    if pj.PJMEDIA_FRAME_TYPE_AUDIO != FRAME_AUDIO or read_frame(frame) != probe:
        raise RuntimeError("pjsua2 MediaFrame layout differs from the expected one; fast frame copy unusable")
    out = pj.MediaFrame()
    FrameWriter(len(probe)).write(out, probe[::-1])
    if out.type != pj.PJMEDIA_FRAME_TYPE_AUDIO or out.size != len(probe) or bytes(out.buf) != probe[::-1]:
        raise RuntimeError("pjsua2 MediaFrame write path failed its self-check")
