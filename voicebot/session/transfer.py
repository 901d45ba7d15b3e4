"""Handing a call to a person: blind (REFER) or warm (consult the agent, speak a summary, REFER/Replaces).

Runs on its own thread so the session keeps listening meanwhile; the session polls ``poll()``
and forwards the REFER progress (``transfer_status`` signals of the customer's call).

Warm transfer, step by step: the customer hears a hold line and music; the bot calls the agent
(the consult leg) and speaks the summary; then it REFERs the customer to the agent with Replaces
naming the consult dialog. Success is reported only on the REFER's final 2xx NOTIFY, i.e. once the
agent's phone answered the customer. A phone that honours Replaces then ends the consult dialog
itself; one that ignores it (baresip) answers the customer as a second call and keeps the consult
open. The bot waits REPLACED_GRACE_S for that BYE and otherwise ends the consult leg itself, and says
so in the result. Whatever happens (failure, timeout, hang-up), the consult leg never outlives the
transfer unless the two legs were bridged through the bot.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from voicebot.dialogue.base import CallInfo, Transfer
from voicebot.errors import SipError
from voicebot.logs import get_logger
from voicebot.session.hold import HOLD_LINES, HoldPlayer
from voicebot.transport.base import play_and_wait

# How long the agent's phone gets to end the replaced consult dialog after the customer reached it.
REPLACED_GRACE_S = 3.0
# How long the summary's last frames get to reach the agent's ear before the REFER moves the call.
SUMMARY_TAIL_S = 0.3

if TYPE_CHECKING:
    from voicebot.session.engines import Engines
    from voicebot.transport.base import CallControl, CallLeg


class TransferRunner:
    def __init__(self, ua: CallControl, call: CallLeg, action: Transfer, engines: Engines,
                 info: CallInfo, timeout_s: float, wake: Callable[[], None] | None = None) -> None:
        self.ua, self.call, self.action, self.engines, self.info = ua, call, action, engines, info
        self.timeout_s = timeout_s
        self.result: tuple[bool, str] = (False, "pending")
        self.consult: CallLeg | None = None
        self.summary_played_at: float | None = None
        self.bridged = False  # both legs kept up and joined in our conference bridge
        self.replaces_ignored = False  # the agent's phone answered the customer as a new call
        self.hold: HoldPlayer | None = None
        self._status: queue.Queue[dict[str, Any]] = queue.Queue()
        self._done = threading.Event()
        self._leg_changed = threading.Event()  # a signal on the customer's or the agent's leg
        self._wake = wake  # the session's inbox: the result is ready
        self.log = get_logger("voicebot.transfer", call_id=call.uid, mode=action.mode)

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"xfer-{self.call.uid}", daemon=True).start()

    def poll(self) -> bool:
        return self._done.is_set()

    def on_status(self, data: dict[str, Any]) -> None:
        self._status.put(data)

    def describe(self) -> dict[str, Any]:
        return {"target": self.action.target, "mode": self.action.mode, "reason": self.action.reason,
                "summary": self.action.summary, "consult_call": self.consult.uid if self.consult else None,
                "bridged": self.bridged, "replaces_ignored": self.replaces_ignored,
                "hold_audio_s": round(self.hold.played_s, 1) if self.hold else 0.0}

    def _refused(self) -> str | None:
        """Why the compliance gate refuses this transfer target, or None: a transfer to an external
        number is a call to that number (staff and agent destinations are not customers)."""
        from voicebot.campaign.compliance import CallRefused, check_customer_call, staff_destinations
        from voicebot.store.redis_server import connect_redis

        settings = self.engines.settings
        try:
            check_customer_call(lambda: connect_redis(settings), settings.campaign, self.action.target,
                                path="transfer", staff=staff_destinations(settings))
        except CallRefused as exc:
            return exc.decision.reason
        return None

    def _run(self) -> None:
        try:
            refused = self._refused()
            if refused is not None:
                self.result = (False, f"refused: {refused}")
            else:
                self.result = self._warm() if self.action.mode == "warm" else self._blind()
        except Exception as exc:
            self.log.exception("transfer_error")
            self.result = (False, f"error: {exc}")
        finally:
            if self.hold is not None:
                self.hold.stop()
            consult = self.consult
            if consult is not None and not self.bridged and not consult.ended:
                self.log.info("consult_leg_ended_by_bot", consult_call=consult.uid)
                self.ua.hangup(consult, 200, reason="consult_done")
            ok, detail = self.result
            self.log.info("transfer_finished", ok=ok, detail=detail, target=self.action.target)
            hang_up = ok and not self.bridged and not self.call.ended
            # Done before the hang-up: the session must see the result before it sees the call end.
            self._done.set()
            if self._wake is not None:
                self._wake()
            if hang_up:
                self.ua.hangup(self.call, 200, reason="transferred")
            if self.bridged:
                self._hold_bridge()

    def _watch_legs(self, consult: CallLeg) -> None:
        """Every signal on either leg (a hang-up above all) wakes this transfer's waits."""
        for leg in (self.call, consult):
            leg.signals.also_wake(self._leg_changed.set)

    def _hold_bridge(self) -> None:
        """Bridged legs live and die together: when one side hangs up, the bot ends the other."""
        consult = self.consult
        assert consult is not None  # bridged: both legs were up
        while not (self.call.ended or consult.ended):  # a leg is marked ended before its signal wakes us
            self._leg_changed.wait()
            self._leg_changed.clear()
        other = consult if self.call.ended else self.call
        if not other.ended:
            self.log.info("bridge_ended", hung_up_first="customer" if self.call.ended else "agent")
            self.ua.hangup(other, 200, reason="bridge_ended")

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
        rate = self.call.port.clock_rate if self.call.port is not None else 16000
        line = HOLD_LINES.get(self.info.locale, HOLD_LINES["en-US"])
        self.hold = HoldPlayer(self.call.port, rate, self.engines.renderer.render(line, self.info.locale))
        try:
            consult = self.consult = self.ua.make_call(self.action.target, {"X-Voicebot-Consult": self.call.uid})
        except SipError as exc:
            return False, f"cannot call the agent: {exc}"
        self._watch_legs(consult)
        failure = self._await_answer(consult)
        if failure:
            return False, failure
        summary = self.action.summary or self.action.reason or "Transferring a customer."
        audio = self.engines.renderer.render(summary, self.info.locale)
        play_and_wait(consult.port, audio.tobytes(), lambda: not (consult.ended or self.call.ended), self.hold.top_up)
        self.summary_played_at = time.time()
        # The summary's last frames cross the network before the REFER, unless a party hangs up meanwhile.
        tail_ends = time.monotonic() + SUMMARY_TAIL_S
        while not (consult.ended or self.call.ended) and (left := tail_ends - time.monotonic()) > 0:
            self._leg_changed.wait(left)
            self._leg_changed.clear()
        if consult.ended or self.call.ended:
            return False, "a party hung up during the consult"
        self.hold.stop()
        self.ua.attended_transfer(self.call, consult)
        ok, detail = self._await_refer()
        if ok:
            return True, self._consult_released(consult, detail)
        if not self.call.ended and not consult.ended:
            # The customer's phone can't do REFER/Replaces: bridge the two legs through us instead.
            self.log.warning("replaces_failed_bridging", detail=detail)
            self.ua.connect_audio(self.call, consult)
            self.bridged = True
            return True, f"bridged through the bot (REFER failed: {detail})"
        return ok, detail

    def _consult_released(self, consult: CallLeg, detail: str) -> str:
        """After the final 2xx NOTIFY: did the agent's phone end the replaced consult dialog?"""
        deadline = time.time() + REPLACED_GRACE_S
        # The consult leg's signals are ours (nothing else reads them): its end arrives as one.
        while not consult.ended and (left := deadline - time.time()) > 0:
            try:
                consult.signals.get(timeout=left)
            except queue.Empty:
                break
        if consult.ended:
            return f"{detail}; the agent's phone replaced the consult call"
        self.replaces_ignored = True
        self.log.warning("replaces_ignored", consult_call=consult.uid,
                         detail="the agent's phone answered the customer as a new call; ending the consult leg")
        return f"{detail}; the agent's phone ignored Replaces and answered the customer as a new call, " \
               "the bot ended its consult leg"

    def _await_answer(self, consult: CallLeg) -> str:
        """'' once the agent answered with media, else why not (the status the agent's side sent)."""
        deadline = time.time() + self.timeout_s
        media = answered = False
        while time.time() < deadline and not (media and answered):
            if self.hold is not None:
                self.hold.top_up()
            try:
                sig = consult.signals.get(timeout=0.2)
            except queue.Empty:
                if self.call.ended:
                    return "customer hung up while the agent was being called"
                continue
            if sig.kind == "ended":
                return consult_failure(sig.data.get("code", 0), sig.data.get("reason", ""), answered)
            media = media or sig.kind == "media_ready"
            answered = answered or sig.kind == "answered"
        if media and answered:
            return ""
        if answered:
            return "the agent answered but no audio was set up"
        return f"agent did not answer within {self.timeout_s:.0f} s"


def consult_failure(code: int, reason: str, answered: bool = False) -> str:
    """Why a consult call to the agent failed, from its final status (was always "did not answer")."""
    status = f"{code} {reason}".strip()
    if answered:
        return f"the agent hung up before the transfer ({status})"
    if code in (404, 604):
        return f"agent not found ({status}): is the agent registered / is the transfer target right?"
    if code in (486, 600):
        return f"agent busy ({status})"
    if code in (480, 408, 487):
        return f"agent did not answer ({status})"
    if code == 603:
        return f"agent declined ({status})"
    if code in (401, 407, 403):
        return f"the PBX refused the bot's call to the agent ({status}): check sip.password"
    return f"call to the agent failed ({status or 'no status'})"
