"""An inbound TCP/TLS call's in-dialog requests go back over the connection its INVITE came on.

pjsip sends a UAS dialog's own requests (the bot's BYE, a re-INVITE) to the caller's Contact. Over
UDP that is fine. Over TCP/TLS it means opening a new connection to the Contact's port, which a
phone that cannot accept connections (no TLS certificate, behind NAT, a softphone that only
dials out) never answers: the bot's BYE is lost and the caller's line stays up. RFC 5923/5626
connection reuse is the answer, and pjsip has it (``pjsip_dlg_set_transport`` with the request's
own transport), but pjsua2's Python API does not expose it.

The C functions are exported by the pjsua2 extension module this process has already loaded, so
ctypes reaches them, as ``fastbuf`` reads frames. The one layout read here is
``pjsip_rx_data.tp_info.transport`` (the second pointer: it has not moved since pjsip 1.x) and
the ``pjsip_tpselector`` struct of pjsip 2.15; the transport pointer is checked by its object
name (``tlss…``/``tcps…``) before use, so a changed layout refuses instead of corrupting.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache
from typing import Any

from voicebot.logs import get_logger

log = get_logger("voicebot.sip")

PJSIP_TPSELECTOR_TRANSPORT = 1
_RDATA_TRANSPORT_OFFSET = ctypes.sizeof(ctypes.c_void_p)  # after tp_info.pool
_OBJ_NAME_LEN = 32  # PJ_MAX_OBJ_NAME: pjsip_transport starts with its object name
_CONNECTION_NAMES = (b"tlss", b"tcps")  # pjsip's names for a server-side (accepted) connection


class TpSelector(ctypes.Structure):
    """pjsip_tpselector (pjsip 2.15): type, disable_connection_reuse, union {transport, ...}."""

    _fields_ = [("type", ctypes.c_int), ("disable_connection_reuse", ctypes.c_int), ("ptr", ctypes.c_void_p)]


@lru_cache(maxsize=1)
def _pjsip() -> ctypes.CDLL:
    import pjsua2._pjsua2 as ext  # the loaded extension: dlopen returns the same handle

    lib = ctypes.CDLL(ext.__file__)
    for name, args, result in (
        ("pjsip_tsx_get_dlg", [ctypes.c_void_p], ctypes.c_void_p),
        ("pjsip_dlg_set_transport", [ctypes.c_void_p, ctypes.POINTER(TpSelector)], ctypes.c_int),
        ("pjsip_transport_add_ref", [ctypes.c_void_p], ctypes.c_int),
        ("pjsip_transport_dec_ref", [ctypes.c_void_p], ctypes.c_int),
    ):
        function = getattr(lib, name)
        function.argtypes, function.restype = args, result
    return lib


def inbound_connection(rdata_ptr: int) -> int:
    """The accepted TCP/TLS connection (pjsip_transport*) a request came on; 0 for UDP or unknown."""
    if not rdata_ptr:
        return 0
    transport = ctypes.c_void_p.from_address(rdata_ptr + _RDATA_TRANSPORT_OFFSET).value or 0
    if not transport:
        return 0
    name = ctypes.string_at(transport, _OBJ_NAME_LEN).split(b"\x00", 1)[0]
    return transport if name.startswith(_CONNECTION_NAMES) else 0


def hold_inbound_connection(rdata: Any) -> int:
    """In ``onIncomingCall``: the connection the INVITE came on, with a reference held (so it outlives
    the callback's rdata); 0 for UDP. Give it to ``pin_dialog`` or ``release``.

    pjsua2 hands this callback a clone of the INVITE that knows its transport but not its dialog,
    so the dialog is pinned later, from the INVITE transaction (``pin_dialog``)."""
    try:
        transport = inbound_connection(int(rdata.pjRxData))
    except (TypeError, ValueError, AttributeError):
        return 0
    if transport:
        _pjsip().pjsip_transport_add_ref(transport)
    return transport


def release(transport: int) -> None:
    if transport:
        _pjsip().pjsip_transport_dec_ref(transport)


def pin_dialog(tsx_ptr: int, transport: int) -> bool:
    """Send the dialog of transaction ``tsx_ptr`` over ``transport`` from now on. False when the
    transaction has no dialog (yet, or any more)."""
    lib = _pjsip()
    dialog = lib.pjsip_tsx_get_dlg(tsx_ptr) if tsx_ptr else None
    if not dialog:
        return False
    status = lib.pjsip_dlg_set_transport(dialog, ctypes.byref(TpSelector(PJSIP_TPSELECTOR_TRANSPORT, 0, transport)))
    if status != 0:
        log.warning("connection_reuse_failed", reason=f"pjsip status {status}")
    return status == 0
