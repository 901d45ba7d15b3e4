"""Handing a call to a person: blind (REFER) or warm (consult the agent, speak a summary, REFER/Replaces).

Runs on its own thread so the session keeps listening meanwhile; the session polls ``poll()``
and forwards the REFER progress (``transfer_status`` signals of the customer's call).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import TYPE_CHECKING, Any

from voicebot.dialogue.base import CallInfo, Transfer
from voicebot.logs import get_logger

if TYPE_CHECKING:
    from voicebot.session.engines import Engines
    from voicebot.sip.agent import SipUserAgent
    from voicebot.sip.call import SipCall


class TransferRunner:
    def __init__(self, ua: SipUserAgent, call: SipCall, action: Transfer, engines: Engines,
                 info: CallInfo, timeout_s: float) -> None:
        self.ua, self.call, self.action, self.engines, self.info = ua, call, action, engines, info
        self.timeout_s = timeout_s
        self.result: tuple[bool, str] = (False, "pending")
        self.consult: SipCall | None = None
        self.summary_played_at: float | None = None
        self.bridged = False  # both legs kept up and joined in our conference bridge
        self._status: queue.Queue[dict[str, Any]] = queue.Queue()
        self._done = threading.Event()
        self.log = get_logger("voicebot.transfer", call_id=call.uid, mode=action.mode)

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"xfer-{self.call.uid}", daemon=True).start()

    def poll(self) -> bool:
        return self._done.is_set()

    def on_status(self, data: dict[str, Any]) -> None:
        self._status.put(data)

    def describe(self) -> dict[str, Any]:
        return {"target": self.action.target, "mode": self.action.mode, "reason": self.action.reason,
                "summary": self.action.summary, "consult_call": self.consult.uid if self.consult else None}

    def _run(self) -> None:
        try:
            self.result = self._warm() if self.action.mode == "warm" else self._blind()
        except Exception as exc:
            self.log.exception("transfer_error")
            self.result = (False, f"error: {exc}")
        finally:
            ok, detail = self.result
            self.log.info("transfer_finished", ok=ok, detail=detail, target=self.action.target)
            hang_up = ok and not self.bridged and not self.call.ended
            # Done before the hang-up: the session must see the result before it sees the call end.
            self._done.set()
            if hang_up:
                self.ua.hangup(self.call, 200, reason="transferred")

    def _blind(self) -> tuple[bool, str]:
        self.ua.blind_transfer(self.call, self.action.target)
        return self._await_refer()

    def _await_refer(self) -> tuple[bool, str]:
        deadline = time.time() + self.timeout_s
        while time.time() < deadline:
            try:
                st = self._status.get(timeout=0.2)
            except queue.Empty:
                if self.call.ended:
                    return False, "customer hung up"
                continue
            code = st.get("code", 0)
            if code >= 300:
                return False, f"REFER failed: {code} {st.get('reason', '')}"
            if st.get("final") and code // 100 == 2:
                return True, f"{code} {st.get('reason', '')}".strip()
        return False, "transfer timed out"

    def _warm(self) -> tuple[bool, str]:
        consult = self.consult = self.ua.make_call(self.action.target, {"X-Voicebot-Consult": self.call.uid})
        if not self._await_answer(consult):
            if not consult.ended:
                self.ua.hangup(consult, 487, reason="agent_no_answer")
            return False, "agent did not answer"
        summary = self.action.summary or self.action.reason or "Transferring a customer."
        audio = self.engines.renderer.render(summary, self.info.locale)
        consult.port.enqueue_audio(audio.tobytes())
        while consult.port.tx and not consult.ended:
            time.sleep(0.02)
        self.summary_played_at = time.time()
        time.sleep(0.3)  # let the summary's last frames cross the network before the REFER
        if consult.ended or self.call.ended:
            return False, "a party hung up during the consult"
        self.ua.attended_transfer(self.call, consult)
        ok, detail = self._await_refer()
        if not ok and not self.call.ended and not consult.ended:
            # The customer's phone can't do REFER/Replaces: bridge the two legs through us instead.
            self.log.warning("replaces_failed_bridging", detail=detail)
            self.ua.connect_audio(self.call, consult)
            self.bridged = True
            return True, "bridged (peer refused REFER/Replaces)"
        return ok, detail

    def _await_answer(self, consult: SipCall) -> bool:
        deadline = time.time() + self.timeout_s
        media = answered = False
        while time.time() < deadline and not (media and answered):
            try:
                sig = consult.signals.get(timeout=0.2)
            except queue.Empty:
                if self.call.ended:
                    return False
                continue
            if sig.kind == "ended":
                return False
            media = media or sig.kind == "media_ready"
            answered = answered or sig.kind == "answered"
        return media and answered
