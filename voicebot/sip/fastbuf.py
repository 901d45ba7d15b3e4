"""Copy audio in and out of pjsua2 ``ByteVector``s without SWIG's per-element walk.

``bytes(frame.buf)`` iterates the std::vector one element at a time (~0.6 ms a frame);
reading the vector's begin/end pointers through ctypes copies it with one memcpy (~3 µs).
Layout assumed: libstdc++ std::vector<unsigned char> = {begin, end, end_of_storage}.
"""

from __future__ import annotations

import ctypes

_ptr = ctypes.c_void_p.from_address
_PTR_SIZE = ctypes.sizeof(ctypes.c_void_p)


def read_bytes(vector) -> bytes:
    addr = int(vector.this)
    begin = _ptr(addr).value
    end = _ptr(addr + _PTR_SIZE).value
    if not begin or end <= begin:
        return b""
    return ctypes.string_at(begin, end - begin)


def write_bytes(vector, data: bytes) -> None:
    n = len(data)
    if vector.size() != n:
        vector.resize(n)
    if n:
        ctypes.memmove(_ptr(int(vector.this)).value, data, n)


def self_check() -> None:
    """Fail loudly at start-up if the vector layout is not what we assume."""
    import pjsua2 as pj

    probe = bytes(range(200))
    vec = pj.ByteVector(probe)
    if read_bytes(vec) != probe:
        raise RuntimeError("pjsua2 ByteVector layout differs from libstdc++'s; fast frame copy unusable")
    write_bytes(vec, probe[::-1])
    if bytes(vec) != probe[::-1]:
        raise RuntimeError("pjsua2 ByteVector write path failed its self-check")
