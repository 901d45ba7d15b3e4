"""What the bot does to calls in progress: DTMF, transfers (blind REFER, REFER with Replaces) and
conference-bridge routes (warm-transfer bridges, listen/whisper/barge). A mixin of ``SipUserAgent``:
every method runs its pjsua2 work on the SIP thread through ``run``.
"""

from __future__ import annotations

from typing import Any, Callable

import pjsua2 as pj

from voicebot.logs import get_logger
from voicebot.sip.call import SipCall

log = get_logger("voicebot.sip")


def op_param(headers: dict[str, str] | None = None, code: int = 0) -> pj.CallOpParam:
    """pjsua2 call-operation parameters: a status code (0: pjsua's default) and extra headers."""
    prm = pj.CallOpParam(True)
    if code:
        prm.statusCode = code
    for name, value in (headers or {}).items():
        header = pj.SipHeader()
        header.hName, header.hValue = name, value
        prm.txOption.headers.append(header)
    return prm


class CallControl:
    sip: Any  # SipConfig, set by SipUserAgent
    run: Callable[..., Any]

    def send_dtmf(self, call: SipCall, digits: str, method: str | None = None) -> None:
        def do() -> None:
            prm = pj.CallSendDtmfParam()
            prm.digits = digits
            use = method or self.sip.dtmf_method
            prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO if use == "sip_info" else pj.PJSUA_DTMF_METHOD_RFC2833
            call.sendDtmf(prm)

        self.run(do)

    def blind_transfer(self, call: SipCall, target_uri: str) -> None:
        self.run(lambda: call.xfer(target_uri, pj.CallOpParam(True)))

    def attended_transfer(self, call: SipCall, consult: SipCall) -> None:
        """REFER ``call``'s peer to ``consult``'s peer with Replaces (warm transfer)."""
        self.run(lambda: call.xferReplaces(consult.pj, pj.CallOpParam(True)))

    def connect_audio(self, a: SipCall, b: SipCall) -> None:
        """Bridge two calls' audio in the conference (used after a warm-transfer consult)."""

        def do() -> None:
            ma, mb = a.getAudioMedia(-1), b.getAudioMedia(-1)
            ma.startTransmit(mb)
            mb.startTransmit(ma)

        self.run(do)

    def route_audio(self, connect: list[tuple[Any, Any]] = (), disconnect: list[tuple[Any, Any]] = ()) -> None:
        """Change conference-bridge routes in one step on the SIP thread (listen/whisper/barge).

        An endpoint is a ``SipCall`` (its audio stream: what the far end says / hears) or a
        conference port such as a call's ``CallAudioPort``. A pair (a, b) routes a's audio into b.
        Routes of a call that has just ended are skipped, not errors: its slot is gone already.
        """

        def media(end: Any) -> Any:
            if isinstance(end, SipCall):
                if end.ended or not end.hasMedia():
                    return None
                return end.getAudioMedia(-1)
            return end

        def do() -> None:
            for pairs, op in ((disconnect, "stopTransmit"), (connect, "startTransmit")):
                for a, b in pairs:
                    ma, mb = media(a), media(b)
                    if ma is None or mb is None:
                        continue
                    try:
                        getattr(ma, op)(mb)
                    except pj.Error as exc:
                        log.warning("route_failed", op=op, error=exc.info())

        self.run(do)
