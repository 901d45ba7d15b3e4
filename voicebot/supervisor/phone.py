"""Listen, whisper and barge by phone, on pjsua2's conference bridge (docs/supervision.md).

A supervisor reaches a live call in two ways:

* inbound: they dial the bot at ``sip:<phone_supervision.user>@bot`` (menu of live calls) or
  ``sip:<user>-<call id>@bot``, or send ``X-Voicebot-Supervise: <call id>``; a DTMF PIN comes first;
* outbound: the console asks the bot (``SupervisorLine.call_out``, Redis request, CLI) to call
  the supervisor and connect in a given mode.

Once connected, DTMF 1/2/3 switches listen/whisper/barge. In whisper mode on a bot call the
supervisor's speech is recognised with the shared ASR and handed to the call's dialogue as an
instruction ("transfer now"); on a call the bot has bridged to a human agent, the agent hears
the supervisor. Barge hands the customer to the supervisor and the bot's session leaves.
Each supervisor call runs on its own thread; only route changes go to the SIP thread.
"""

from __future__ import annotations

import hmac
import queue
import re
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voicebot.locales import whisper_language
from voicebot.logs import get_logger
from voicebot.media.frames import TurnEnded
from voicebot.session.listener import CallListener
from voicebot.supervisor.menu import PROMPTS, CallerLeft, DtmfReader, mode_name, pick_call, prompt
from voicebot.supervisor.modes import Mode, Parties, teardown, transition
from voicebot.transport.base import drain, play_and_wait, wait_until_answered

if TYPE_CHECKING:
    from voicebot.session.call_session import CallSession
    from voicebot.sip.call import SipCall
    from voicebot.supervisor.bot_host import BotHost

log = get_logger("voicebot.supervisor")
SUPERVISE_HEADER = "X-Voicebot-Supervise"


@dataclass(frozen=True)
class SupervisorRequest:
    call_ref: str = ""  # which call ("" = ask with the menu)
    mode: Mode | None = None  # None = ask
    outbound: bool = False  # the bot called the supervisor (no PIN: the console asked for it)


def parse_invite(invite: str, user: str) -> SupervisorRequest | None:
    """A supervisor request if this INVITE is addressed to the supervisor line, else None."""
    if not invite:
        return None
    first = invite.split("\n", 1)[0]
    m = re.match(r"INVITE\s+sips?:([^@;>\s]+)@", first)
    header = re.search(rf"^{SUPERVISE_HEADER}:[ \t]*(.*?)\s*$", invite, re.IGNORECASE | re.MULTILINE)
    if header is not None:
        return SupervisorRequest(call_ref="" if header.group(1).lower() in ("", "menu") else header.group(1))
    if m is None:
        return None
    target = m.group(1)
    if target == user:
        return SupervisorRequest()
    if target.startswith(user + "-"):
        return SupervisorRequest(call_ref=target[len(user) + 1:])
    return None


class SupervisorLine:
    """Owned by the server: recognises supervisor calls and runs one ``SupervisorSession`` each."""

    def __init__(self, server: BotHost) -> None:
        self.server = server
        self.config = server.settings.phone_supervision
        self.active: dict[str, SupervisorSession] = {}
        if self.config.enabled and self.config.pin:
            # Fixed prompts into the TTS cache, off the start-up path: the first supervisor to dial
            # in should not wait for synthesis.
            threading.Thread(target=self._prerender, name="supervisor-prompts", daemon=True).start()

    def _prerender(self) -> None:
        locale = self.server.settings.dialogue.locale
        fixed = [text for key, text in PROMPTS.get(locale, PROMPTS["en-US"]).items() if "{" not in text]
        try:
            self.server.engines.renderer.prerender([(locale, text) for text in fixed])
        except Exception:
            log.exception("supervisor_prompts_prerender_failed")

    def claims(self, call: SipCall) -> bool:
        """SIP thread: start a supervisor session if ``call`` dials the supervisor line."""
        if not self.config.enabled:
            return False
        request = parse_invite(call.invite, self.config.user)
        if request is None:
            return False
        if not self.config.pin:
            log.warning("supervisor_refused", call_id=call.uid, reason="phone_supervision.pin is not set")
            self.server.ua._answer_now(call, 403)
            return True
        self._start(call, request)
        return True

    def call_out(self, uri: str, call_ref: str, mode: Mode | str) -> SupervisorSession:
        """The bot calls the supervisor at ``uri`` and connects them to ``call_ref`` in ``mode``."""
        mode = Mode.parse(mode) if isinstance(mode, str) else mode
        if self.server.find_session(call_ref) is None:
            raise ValueError(f"call {call_ref!r} is not live")
        self._check_not_a_customer(uri)
        call = self.server.ua.make_call(uri, {"X-Voicebot-Supervising": call_ref})
        return self._start(call, SupervisorRequest(call_ref, mode, outbound=True))

    def _check_not_a_customer(self, uri: str) -> None:
        """A supervisor's own phone (console users' ``phone``, ``phone_supervision.supervisor_phones``,
        a named SIP account) is not a customer call; any other number goes through the compliance
        gate like every customer call (raises ``CallRefused``)."""
        from voicebot.campaign.compliance import check_customer_call, staff_destinations

        settings = self.server.settings
        check_customer_call(self.server._compliance_redis, settings.campaign, uri, path="supervisor_call_out",
                            staff=staff_destinations(settings))

    def _start(self, call: SipCall, request: SupervisorRequest) -> SupervisorSession:
        session = SupervisorSession(self, call, request)
        self.active[call.uid] = session
        session.start()
        return session


class SupervisorSession:
    def __init__(self, line: SupervisorLine, call: SipCall, request: SupervisorRequest) -> None:
        self.line, self.call, self.request = line, call, request
        self.server = line.server
        self.ua = self.server.ua
        self.engines = self.server.engines
        self.config = line.config
        self.locale = self.server.settings.dialogue.locale
        self.mode: Mode | None = None
        self.target: CallSession | None = None
        self.parties: Parties | None = None
        self.dtmf = DtmfReader(call, on_digit=self._cut_prompt)
        media = self.server.settings.media
        self.listener = CallListener(self.server.settings.turn, media.clock_rate, media.frame_ms)
        self.recognising: list[Future] = []
        self.log = get_logger("voicebot.supervisor", supervisor_call=call.uid)
        self._thread = threading.Thread(target=self._run_safely, name=f"sup-{call.uid}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    # --- the line ---------------------------------------------------------------------
    def _run_safely(self) -> None:
        try:
            self._run()
        except CallerLeft:
            self.log.info("supervisor_hung_up", mode=self.mode.value if self.mode else None)
        except Exception:
            self.log.exception("supervisor_session_crashed")
        finally:
            try:
                self._leave()
            except Exception:  # e.g. the SIP stack is shutting down
                self.log.exception("supervisor_leave_failed")
            self.line.active.pop(self.call.uid, None)

    def _run(self) -> None:
        if not self.request.outbound:
            self.ua.answer(self.call, 200)
        if not self._wait_for_media():
            return
        if not self.request.outbound and not self._check_pin():
            return
        target = self._choose_call()
        if target is None:
            return
        mode = self.request.mode or self._choose_mode()
        if mode is None:
            return
        self._connect(target, mode)
        self._supervise()

    def _wait_for_media(self) -> bool:
        return wait_until_answered(self.call, 60)

    def _say(self, key: str, wait: bool = True, **values: Any) -> None:
        text = prompt(self.locale, key, **values)
        audio = self.engines.renderer.render(text, self.locale)
        if wait:
            play_and_wait(self.call.port, audio.tobytes(), lambda: not self.call.ended)
        else:
            self.call.port.enqueue_audio(audio.tobytes())

    def _cut_prompt(self) -> None:
        if self.call.port is not None:
            self.call.port.stop_playout()

    def _check_pin(self) -> bool:
        for attempt in range(self.config.pin_attempts):
            self._say("pin", wait=False)
            entry = self.dtmf.entry(self.config.dtmf_timeout_s + 4)
            if entry is not None and hmac.compare_digest(entry.encode(), self.config.pin.get_secret_value().encode()):
                return True
            self.log.warning("supervisor_bad_pin", attempt=attempt + 1)
            self._say("bad_pin")
        self._bye("bye")
        return False

    def _live_calls(self) -> list[tuple[str, str]]:
        return [(s.call.uid, s.call.sip_call_id) for s in self.server.live_sessions()]

    def _choose_call(self) -> CallSession | None:
        if self.request.call_ref:
            uid = pick_call(self.request.call_ref, self._live_calls())
            if uid is not None:
                return self.server.find_session(uid)
            self.log.info("supervisor_no_such_call", ref=self.request.call_ref)
            self._say("no_such_call")
            if self.request.outbound:
                self._bye("bye")
                return None
        for _ in range(self.config.max_prompts):
            live = self._live_calls()
            if not live:
                self._bye("no_calls")
                return None
            self._say("calls" if len(live) > 1 else "one_call", wait=False, n=len(live))
            entry = self.dtmf.entry(self.config.dtmf_timeout_s)
            uid = pick_call(entry or "", live)
            if uid is not None:
                return self.server.find_session(uid)
            if entry is not None:
                self._say("no_such_call")
        self._bye("bye")
        return None

    def _choose_mode(self) -> Mode | None:
        for _ in range(self.config.max_prompts):
            self._say("mode", wait=False)
            mode = Mode.from_digit(self.dtmf.digit(self.config.dtmf_timeout_s) or "")
            if mode is not None:
                return mode
        self._bye("bye")
        return None

    def _bye(self, key: str) -> None:
        self._say(key)
        time.sleep(0.3)
        self.ua.hangup(self.call, 200, reason="supervisor_line")

    # --- connected --------------------------------------------------------------------
    def _agent_leg(self, session: CallSession) -> SipCall | None:
        """The human agent's call when the bot bridged a warm transfer through itself."""
        transfer = session.outcome.get("transfer") or {}
        if not transfer.get("ok") or not str(transfer.get("detail", "")).startswith("bridged"):
            return None
        consult = transfer.get("consult_call")
        return self.ua.find_call(consult) if consult else None

    def _connect(self, target: CallSession, mode: Mode) -> None:
        self.target = target
        self.parties = Parties(self.call, target.call, target.call.port, self._agent_leg(target))
        self.log.info("supervisor_connected", call_id=target.call.uid, mode=mode.value,
                      outbound=self.request.outbound, agent=self.parties.agent.uid if self.parties.agent else None)
        # Outbound: the supervisor did not ask by phone, so say what this is, over the live audio.
        self._switch(mode, announce=not self.request.outbound)
        if self.request.outbound:
            self._say("connecting", wait=False, mode=mode_name(self.locale, mode.value))

    def _switch(self, mode: Mode, announce: bool = True) -> None:
        if mode is self.mode:
            return
        if self.mode is Mode.BARGE:
            return  # the bot has left the call: there is nothing to go back to
        if mode is Mode.WHISPER:  # a fresh ear: nothing left over from an earlier whisper
            media = self.server.settings.media
            self.listener = CallListener(self.server.settings.turn, media.clock_rate, media.frame_ms)
        connect, disconnect = transition(self.mode, mode, self.parties)
        self.ua.route_audio(connect, disconnect)
        self.mode = mode
        self.log.info("supervisor_mode", call_id=self.target.call.uid, mode=mode.value)
        self.target._publish("supervisor_mode", supervisor_call=self.call.uid, mode=mode.value)
        if mode is Mode.BARGE:
            self.target.barge(self.call.uid)
        if announce:
            self._say(mode.value, wait=False)

    def _supervise(self) -> None:
        port = self.call.port
        while True:
            if self.call.ended:
                raise CallerLeft()
            if self.target.call.ended or self.target.result is not None:
                self.log.info("supervised_call_ended", call_id=self.target.call.uid)
                self._bye("ended")
                return
            try:
                sig = self.call.signals.get_nowait()
            except queue.Empty:
                sig = None
            if sig is not None and sig.kind == "ended":
                raise CallerLeft()
            if sig is not None and sig.kind == "dtmf":
                mode = Mode.from_digit(sig.data["digit"])
                if mode is not None:
                    self._switch(mode)
            heard = drain(port.rx)
            drain(port.played)
            if self.mode is Mode.WHISPER and self.parties.agent is None:
                self._whisper_to_bot(heard)
            self._deliver_instructions()
            time.sleep(0.02)

    def _whisper_to_bot(self, frames: list[bytes]) -> None:
        """The supervisor's speech -> shared ASR -> the call's dialogue, as an instruction."""
        for event in self.listener.feed(frames, []):
            if isinstance(event, TurnEnded):
                lang = whisper_language(self.locale)
                self.recognising.append(self.engines.asr_pool.submit(self.engines.recognizer.transcribe,
                                                                     event.audio, lang))

    def _deliver_instructions(self) -> None:
        while self.recognising and self.recognising[0].done():
            fut = self.recognising.pop(0)
            try:
                text = fut.result().text.strip()
            except Exception:
                self.log.exception("whisper_asr_failed")
                continue
            if text:
                self.log.info("whisper_heard", call_id=self.target.call.uid, text=text)
                self.target.instruct(text, source="spoken")

    def _leave(self) -> None:
        """Whatever ended the supervision: take the supervisor out of the bridge, end their call."""
        if self.parties is None:  # never connected (no answer, wrong PIN, no call chosen)
            if not self.call.ended:
                self.ua.hangup(self.call, 200 if self.call.answered else 487, reason="supervisor_line")
            return
        try:
            self.ua.route_audio([], teardown(self.mode, self.parties))
        except Exception:
            self.log.exception("supervisor_teardown_failed")
        if self.mode is Mode.BARGE and not self.target.call.ended:
            # The bot left when the supervisor barged in: nobody is left to talk to the customer.
            self.ua.hangup(self.target.call, 200, reason="supervisor")
        if not self.call.ended:
            self.ua.hangup(self.call, 200, reason="supervisor_line")
        self.log.info("supervisor_left", call_id=self.target.call.uid, mode=self.mode.value if self.mode else None)
