"""Noticing that the connection a TCP/TLS registration lives on went away.

Registered over UDP the OPTIONS keepalive notices a lost binding. Over TCP/TLS the registrar reaches
the bot over the registration's connection (or at its listening port); when that connection closes
(a registrar restart closes every one), the binding is most likely gone with it. pjsua re-registers
by itself only with its own retry on, which is off here (``registration.py`` retries instead), so
before this the bot said "registered" until the next refresh (``register_expires_s``) while callers
got 404.

pjsua2 reports connection state per transport, without saying which peer a connection led to: any
TCP/TLS connection that closes while registered over that transport triggers a REGISTER. A caller's
closed connection thus costs one early refresh; a registrar that is down fails that REGISTER at once
(connection refused), which marks the registration failed (``/readyz`` 503, metric 0) and runs into
the usual backoff until the registrar is back.

pjsip itself sends a CRLF keepalive over each connection (compiled in: every 90 s), so a connection
that silently died is noticed too, later.
"""

from __future__ import annotations

from typing import Callable

import pjsua2 as pj

# Connection-oriented transport types as pjsua2 names them in OnTransportStateParam.type.
_STREAM_TYPES = ("TCP", "TLS", "TCP6", "TLS6")


class FlowWatchingEndpoint(pj.Endpoint):
    """``on_closed(kind, error)`` when a TCP/TLS connection is disconnected (on the SIP thread)."""

    def __init__(self, on_closed: Callable[[str, str], None]) -> None:
        super().__init__()
        self._on_closed = on_closed

    def onTransportState(self, prm: pj.OnTransportStateParam) -> None:  # noqa: N802
        kind = str(prm.type).upper()
        if prm.state == pj.PJSIP_TP_STATE_DISCONNECTED and kind in _STREAM_TYPES:
            error = ""
            if prm.lastError:
                try:
                    error = self.utilStrError(prm.lastError)
                except pj.Error:
                    error = str(prm.lastError)
            self._on_closed(kind.rstrip("6").lower(), error)
