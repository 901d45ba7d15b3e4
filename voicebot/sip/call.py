"""One SIP call: pjsua2 callbacks turned into ``CallSignal``s on a thread-safe queue.

pjsua2 invokes these callbacks on the SIP thread (the one running ``libHandleEvents``).
They do no work beyond recording what happened; the call's owner (a bot session or the
callee simulator) reads ``signals`` on its own thread.
"""

from __future__ import annotations

import queue
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pjsua2 as pj

from voicebot.logs import get_logger
from voicebot.sip.port import CallAudioPort

if TYPE_CHECKING:
    from voicebot.sip.agent import SipUserAgent

SignalKind = Literal[
    "ringing", "answered", "media_ready", "dtmf", "ended", "transfer_status", "transferred_to", "replaced"
]


def unanswered_reason(code: int) -> str:
    """Why an outbound call never connected, from its final SIP status."""
    if code in (408, 480, 487):
        return "no_answer"
    if code in (486, 600, 603):
        return "busy"
    if code in (404, 484, 604):
        return "invalid"
    return "failed"


@dataclass(frozen=True)
class CallSignal:
    kind: SignalKind
    data: dict[str, Any] = field(default_factory=dict)


class SipCall(pj.Call):
    def __init__(
        self,
        ua: SipUserAgent,
        account: pj.Account,
        call_index: int = pj.PJSUA_INVALID_ID,
        direction: Literal["inbound", "outbound"] = "outbound",
    ) -> None:
        super().__init__(account, call_index)
        self.ua = ua
        self.direction = direction
        self.uid = uuid.uuid4().hex[:12]
        self.signals: queue.Queue[CallSignal] = queue.Queue()
        self.port: CallAudioPort | None = None
        self.remote_uri = ""
        self.invite = ""  # inbound: the INVITE as received (set by the user agent)
        self.sip_call_id = ""
        self.codec = ""
        self.last_stream_stats: dict[str, float] = {}  # refreshed every second by the SIP thread
        self.ended = False
        # Set when we end the call ("bot", "rtp_timeout", "shutdown"); None = the peer hung up.
        self.local_hangup_reason: str | None = None
        self.answered = False
        self.log = get_logger("voicebot.sip.call", call_id=self.uid)
        # Audio media connected to our port, kept so we can disconnect before teardown.
        self._audio: pj.AudioMedia | None = None

    # --- pjsua2 callbacks (SIP thread) ----------------------------------------------
    def onCallState(self, prm: pj.OnCallStateParam) -> None:  # noqa: N802
        ci = self.getInfo()
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
            self.log.info("call_disconnected", code=ci.lastStatusCode, reason=ci.lastReason)
            self.signals.put(
                CallSignal("ended", {"code": ci.lastStatusCode, "reason": ci.lastReason, "answered": self.answered,
                                     "hung_up_by": self.local_hangup_reason or "remote"})
            )
            self.ua.release_call(self)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:  # noqa: N802
        ci = self.getInfo()
        for index, media in enumerate(ci.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            audio = self.getAudioMedia(index)
            first = self.port is None
            if first:
                self.port = CallAudioPort(self.ua.media.clock_rate, self.ua.media.frame_ms)
                self.port.create(f"call-{self.uid}")
            # Re-INVITEs re-run this: (re)connecting an existing pair is harmless.
            audio.startTransmit(self.port)
            self.port.startTransmit(audio)
            self._audio = audio
            self.codec = self._current_codec(index)
            if first:
                self.log.info("media_ready", codec=self.codec)
                self.signals.put(CallSignal("media_ready", {"codec": self.codec}))
            break

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:  # noqa: N802
        method = "sip_info" if prm.method == pj.PJSUA_DTMF_METHOD_SIP_INFO else "rfc2833"
        self.signals.put(CallSignal("dtmf", {"digit": prm.digit, "method": method}))

    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:  # noqa: N802
        # We are the transferee: follow the REFER with a call object of our own.
        new_call = self.ua.adopt_outbound_call()
        prm.newCall = new_call
        prm.statusCode = 202
        self.log.info("transfer_requested", target=prm.dstUri, new_call=new_call.uid)
        self.signals.put(CallSignal("transferred_to", {"target": prm.dstUri, "call": new_call}))

    def onCallReplaced(self, prm: pj.OnCallReplacedParam) -> None:  # noqa: N802
        new_call = self.ua.adopt_inbound_call(prm.newCallId)
        prm.newCall = new_call
        self.log.info("call_replaced", new_call=new_call.uid)
        self.signals.put(CallSignal("replaced", {"call": new_call}))

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:  # noqa: N802
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
        except pj.Error:
            return ""

    def stream_stats(self) -> dict[str, float]:
        """Jitter buffer and RTP receive figures (SIP thread)."""
        try:
            st = self.getStreamStat(0)
        except pj.Error:
            return {}
        jb, rx = st.jbuf, st.rtcp.rxStat
        return {"jb_avg_delay_ms": jb.avgDelayMsec, "jb_max_delay_ms": jb.maxDelayMsec, "jb_prefetch": jb.prefetch,
                "jb_discard": jb.discard, "jb_empty": jb.empty, "rx_jitter_ms": round(rx.jitterUsec.mean / 1000, 1),
                "rx_lost": rx.loss}

    def rx_packets(self) -> int:
        try:
            return int(self.getStreamStat(0).rtcp.rxStat.pkt)
        except pj.Error:
            return -1

    def detach_media(self) -> None:
        if self.port is not None and self._audio is not None:
            try:
                self._audio.stopTransmit(self.port)
                self.port.stopTransmit(self._audio)
            except pj.Error:
                pass
        self._audio = None
