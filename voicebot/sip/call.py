"""One SIP call: pjsua2 callbacks turned into ``CallSignal``s on a thread-safe queue.

pjsua2 invokes these callbacks on the SIP thread (the one running ``libHandleEvents``).
They do no work beyond recording what happened; the call's owner (a bot session or the
callee simulator) reads ``signals`` on its own thread.
"""

from __future__ import annotations

import uuid
import weakref
from typing import Any, Literal, Protocol

import pjsua2 as pj

from voicebot.errors import SipError
from voicebot.logs import get_logger
from voicebot.sip.connection_reuse import pin_dialog, release as release_connection
from voicebot.sip.port import CallAudioPort
from voicebot.transport.base import CallSignal, SignalKind, SignalQueue, unanswered_reason  # noqa: F401 (re-exported)


class CallOwner(Protocol):
    """What a call asks of the user agent that owns it (``SipUserAgent``), from the SIP thread. A protocol, so
    this module does not import the agent, which builds the calls."""

    def take_port(self) -> CallAudioPort: ...

    def adopt_outbound_call(self) -> SipCall: ...

    def adopt_inbound_call(self, call_index: int) -> SipCall: ...

    def release_call(self, call: SipCall) -> None: ...


# pjsua2 objects whose C++ destructor must never run (see _PjCall) stay referenced here for the
# life of the process: pjsua2 may still hold their pointer, and a director call into a freed Python
# object is a segfault. A few hundred bytes per call.
_RETIRED: list[Any] = []


def retire(obj: Any) -> None:
    obj.thisown = False
    _RETIRED.append(obj)


class _PjCall(pj.Call):
    """The pjsua2 object behind a SipCall; only its SipCall holds it.

    pjsua2's ``~Call`` clears the user data of, and hangs up, whatever call occupies its slot
    *now*. A wrapper destroyed after its call ended (held by a session, a transfer, a graveyard)
    therefore kills the next call pjsua put in the same slot, silently (an unanswered one gets
    603, an answered one a BYE, and neither's callbacks arrive any more); destroying it inside the
    DISCONNECTED callback instead leaks pjsua call slots (measured: PJ_ETOOMANY after a few
    concurrent calls). So at DISCONNECTED the C++ object is disowned: its destructor never runs,
    at the cost of a few hundred bytes per call, and pjsua never calls it again.
    """

    def __init__(self, owner: SipCall, account: pj.Account, call_index: int) -> None:
        super().__init__(account, call_index)
        self._owner = weakref.ref(owner)  # no cycle: the SipCall's refcount alone decides our lifetime

    def _forward(self, handler: str, *args: Any) -> None:
        owner = self._owner()
        if owner is not None:
            getattr(owner, handler)(*args)

    # pjsua2 callbacks (SIP thread), forwarded to the SipCall
    def onCallState(self, prm: pj.OnCallStateParam) -> None:  # noqa: N802
        self._forward("on_state", self)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:  # noqa: N802
        self._forward("on_media_state")

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:  # noqa: N802
        self._forward("on_dtmf", prm)

    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:  # noqa: N802
        self._forward("on_transfer_request", prm)

    def onCallReplaced(self, prm: pj.OnCallReplacedParam) -> None:  # noqa: N802
        self._forward("on_replaced", prm)

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:  # noqa: N802
        self._forward("on_transfer_status", prm)

    def onCallTsxState(self, prm: pj.OnCallTsxStateParam) -> None:  # noqa: N802
        self._forward("on_transaction", prm)


class SipCall:
    """A call as the rest of voicebot sees it. pjsua2 methods (``getInfo``, ``hangup``, ``xfer``, ...)
    are forwarded to the live pjsua2 object, on the SIP thread only; after DISCONNECTED there is none."""

    def __init__(
        self,
        ua: CallOwner,
        account: pj.Account,
        call_index: int = pj.PJSUA_INVALID_ID,
        direction: Literal["inbound", "outbound"] = "outbound",
    ) -> None:
        self.pj: _PjCall | None = _PjCall(self, account, call_index)
        self.ua = ua
        self.direction = direction
        self.uid = uuid.uuid4().hex[:12]
        self.signals = SignalQueue()
        self.port: CallAudioPort | None = None
        self.remote_uri = ""
        self.local_uri = ""  # inbound: the URI the caller dialled (To), e.g. <sip:+8613900000001@host>
        self.invite = ""  # inbound: the INVITE as received (set by the user agent)
        self.sip_call_id = ""
        self.codec = ""
        self.last_stream_stats: dict[str, float] = {}  # refreshed every second by the SIP thread
        self.ended = False
        # Set when we end the call ("bot", "rtp_timeout", "shutdown"); None = the peer hung up.
        self.local_hangup_reason: str | None = None
        self.answered = False
        # Refused by the per-source limits: no per-call log lines (a flood is summarised instead).
        self.quiet = False
        # Inbound over TCP/TLS: the connection the INVITE came on (pjsip_transport*, a reference
        # held) until the dialog is pinned to it (connection_reuse.py); 0 otherwise.
        self.inbound_connection = 0
        self.log = get_logger("voicebot.sip.call", call_id=self.uid)
        # Audio media connected to our port, kept so we can disconnect before teardown.
        self._audio: pj.AudioMedia | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names SipCall lacks: the pjsua2 Call API.
        pj_call = self.__dict__.get("pj")
        if pj_call is None:
            raise SipError(f"call {self.__dict__.get('uid', '?')} has ended: no {name}()")
        return getattr(pj_call, name)

    # --- pjsua2 callbacks, forwarded by _PjCall (SIP thread) ------------------------------
    def on_state(self, pj_call: _PjCall) -> None:
        ci = pj_call.getInfo()
        self.remote_uri = ci.remoteUri
        self.sip_call_id = ci.callIdString
        if ci.state == pj.PJSIP_INV_STATE_EARLY:
            self.signals.put(CallSignal("ringing", {"code": ci.lastStatusCode}))
        elif ci.state == pj.PJSIP_INV_STATE_CONFIRMED and not self.answered:
            self.answered = True
            self.log.info("call_confirmed", remote=ci.remoteUri, direction=self.direction)
            self.signals.put(CallSignal("answered"))
        elif ci.state == pj.PJSIP_INV_STATE_DISCONNECTED and not self.ended:
            self.ended = True
            if not self.quiet:
                self.log.info("call_disconnected", code=ci.lastStatusCode, reason=ci.lastReason)
            self.signals.put(
                CallSignal("ended", {"code": ci.lastStatusCode, "reason": ci.lastReason, "answered": self.answered,
                                     "hung_up_by": self.local_hangup_reason or "remote"})
            )
            release_connection(self.inbound_connection)
            self.inbound_connection = 0
            self.ua.release_call(self)
            retire(pj_call)  # see _PjCall: never run ~Call once the slot may be reused
            self.pj = None

    def on_transaction(self, prm: pj.OnCallTsxStateParam) -> None:
        if not self.inbound_connection:
            return
        if pin_dialog(int(prm.e.body.tsxState.tsx.pjTransaction), self.inbound_connection):
            self.log.info("connection_reused", remote=self.remote_uri)
            release_connection(self.inbound_connection)  # the dialog holds its own reference now
            self.inbound_connection = 0

    def on_media_state(self) -> None:
        ci = self.getInfo()
        for index, media in enumerate(ci.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            audio = self.getAudioMedia(index)
            first = self.port is None
            if first:
                self.port = self.ua.take_port()
            # Re-INVITEs re-run this: (re)connecting an existing pair is harmless.
            audio.startTransmit(self.port)
            self.port.startTransmit(audio)
            self._audio = audio
            self.codec = self._current_codec(index)
            if first:
                self.log.info("media_ready", codec=self.codec)
                self.signals.put(CallSignal("media_ready", {"codec": self.codec}))
            break

    def on_dtmf(self, prm: pj.OnDtmfDigitParam) -> None:
        method = "sip_info" if prm.method == pj.PJSUA_DTMF_METHOD_SIP_INFO else "rfc2833"
        self.signals.put(CallSignal("dtmf", {"digit": prm.digit, "method": method}))

    def on_transfer_request(self, prm: pj.OnCallTransferRequestParam) -> None:
        # We are the transferee: follow the REFER with a call object of our own.
        new_call = self.ua.adopt_outbound_call()
        prm.newCall = new_call.pj
        prm.statusCode = 202
        self.log.info("transfer_requested", target=prm.dstUri, new_call=new_call.uid)
        self.signals.put(CallSignal("transferred_to", {"target": prm.dstUri, "call": new_call}))

    def on_replaced(self, prm: pj.OnCallReplacedParam) -> None:
        new_call = self.ua.adopt_inbound_call(prm.newCallId)
        prm.newCall = new_call.pj
        self.log.info("call_replaced", new_call=new_call.uid)
        self.signals.put(CallSignal("replaced", {"call": new_call}))

    def on_transfer_status(self, prm: pj.OnCallTransferStatusParam) -> None:
        self.log.info("transfer_status", code=prm.statusCode, final=prm.finalNotify)
        self.signals.put(
            CallSignal("transfer_status", {"code": prm.statusCode, "final": prm.finalNotify, "reason": prm.reason})
        )
        prm.cont = not prm.finalNotify

    # --- helpers (SIP thread) ------------------------------------------------------
    def _current_codec(self, index: int) -> str:
        try:
            info = self.getStreamInfo(index)
            return f"{info.codecName}/{info.codecClockRate}"
        except (pj.Error, SipError):
            return ""

    def stream_stats(self) -> dict[str, float]:
        """Jitter buffer and RTP receive figures (SIP thread)."""
        try:
            st = self.getStreamStat(0)
        except (pj.Error, SipError):
            return {}
        jb, rx = st.jbuf, st.rtcp.rxStat
        return {"jb_avg_delay_ms": jb.avgDelayMsec, "jb_max_delay_ms": jb.maxDelayMsec, "jb_prefetch": jb.prefetch,
                "jb_discard": jb.discard, "jb_empty": jb.empty, "rx_jitter_ms": round(rx.jitterUsec.mean / 1000, 1),
                "rx_lost": rx.loss}

    def rx_packets(self) -> int:
        try:
            return int(self.getStreamStat(0).rtcp.rxStat.pkt)
        except (pj.Error, SipError):
            return -1

    def detach_media(self) -> None:
        if self.port is not None and self._audio is not None:
            try:
                self._audio.stopTransmit(self.port)
                self.port.stopTransmit(self._audio)
            except (pj.Error, SipError):
                pass
        self._audio = None
