"""The callee simulator: a separate SIP phone that plays a persona against the bot and times it.

It places or answers a call, waits for the bot to finish each turn, speaks (or sends DTMF,
or barges in), follows REFERs and Replaces onto new legs, records every leg, and reports
each turn's end-of-speech -> first-bot-audio latency measured in clock ticks.
"""

from __future__ import annotations

import queue
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from voicebot.audio.pcm import read_wav
from voicebot.callee.leg import CallLeg
from voicebot.callee.persona import Persona, PersonaTurn
from voicebot.config import Settings
from voicebot.logs import get_logger
from voicebot.sip.agent import SipUserAgent
from voicebot.sip.call import SipCall

log = get_logger("voicebot.callee")
SILENCE_RMS = 120.0  # trimming threshold for rendered persona audio


class CallOver(Exception):
    """The call (and any leg it moved to) has ended."""


@dataclass
class TurnReport:
    index: int
    kind: str
    text: str
    leg: str
    start_s: float = 0.0
    end_s: float = 0.0
    reply_start_s: float | None = None
    reply_latency_ms: float | None = None
    barge_in: bool = False
    bot_stopped_after_ms: float | None = None  # barge-in: our speech start -> bot audio gone


@dataclass
class SimulatorReport:
    persona: str
    mode: str
    legs: list[dict[str, Any]] = field(default_factory=list)
    greeting_latency_ms: float | None = None
    turns: list[TurnReport] = field(default_factory=list)
    ended_by: str = ""
    end_code: int = 0
    duration_s: float = 0.0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "turns"}
        d["turns"] = [t.__dict__ for t in self.turns]
        return d


class CalleeSimulator:
    def __init__(self, settings: Settings, persona: Persona, record_root: Path | None,
                 render: Callable[[str, dict], np.ndarray], ua: SipUserAgent | None = None) -> None:
        self.settings = settings
        self.persona = persona
        self.record_root = record_root
        self.frame_ms = settings.media.frame_ms
        self.rate = settings.media.clock_rate
        sys.setswitchinterval(0.001)  # this process's media clock thread needs the GIL every 20 ms too
        # A phone bank shares one user agent between many simulated callees; alone, we own ours.
        self._owns_ua = ua is None
        self.ua = ua or SipUserAgent(settings.sip, settings.media, name=f"callee-{persona.name}")
        self.incoming: queue.Queue[SipCall] = queue.Queue()
        if self._owns_ua:
            self.ua.on_incoming = self.incoming.put
        # Render every line before the call: the persona must never hesitate because of TTS.
        self.audio = [self._prepare(t, render) for t in persona.turns]
        self.leg: CallLeg | None = None
        self.legs: list[CallLeg] = []
        self.report = SimulatorReport(persona.name, "")

    def _prepare(self, turn: PersonaTurn, render: Callable[[str, dict], np.ndarray]) -> np.ndarray | None:
        if turn.say:
            return _trim(render(turn.say, turn.voice_options))
        if turn.wav:
            return _trim(read_wav(turn.wav, self.rate)[0])
        return None

    # --- entry points -----------------------------------------------------------------
    def place(self, uri: str, timeout_s: float = 120.0) -> SimulatorReport:
        self.report.mode = "place"
        if self._owns_ua:  # a dialler's shared user agent is already running
            self.ua.start()
        try:
            call = self.ua.make_call(uri)
            self._run(call, timeout_s)
        finally:
            self._close()
        return self.report

    def answer(self, wait_s: float = 60.0, timeout_s: float = 120.0) -> SimulatorReport:
        self.report.mode = "answer"
        self.ua.start()
        try:
            call = self.incoming.get(timeout=wait_s)
            if self.persona.reject_with:
                self.ua.answer(call, self.persona.reject_with)
                self.report.ended_by = "rejected"
                self.report.end_code = self.persona.reject_with
                time.sleep(0.5)
                return self.report
            time.sleep(self.persona.answer_delay_ms / 1000)
            self.ua.answer(call, 200)
            self._run(call, timeout_s)
        except queue.Empty:
            self.report.error = f"no call arrived within {wait_s:.0f} s"
        finally:
            self._close()
        return self.report

    def start_listening(self) -> None:
        self.ua.start()

    def take(self, call: SipCall, timeout_s: float = 120.0) -> SimulatorReport:
        """Answer ``call`` (already ringing on a shared user agent) and play the persona on it."""
        self.report.mode = "answer"
        try:
            if self.persona.reject_with:
                self.ua.answer(call, self.persona.reject_with)
                self.report.ended_by, self.report.end_code = "rejected", self.persona.reject_with
                return self.report
            if self.persona.never_answer:
                deadline = time.time() + timeout_s
                while not call.ended and time.time() < deadline:
                    time.sleep(0.1)
                self.report.ended_by = "caller gave up" if call.ended else "still ringing"
                return self.report
            time.sleep(self.persona.answer_delay_ms / 1000)
            self.ua.answer(call, 200)
            self._run(call, timeout_s)
        finally:
            self._close()
        return self.report

    # --- the script --------------------------------------------------------------------
    def _run(self, call: SipCall, timeout_s: float) -> None:
        t0 = time.time()
        self.deadline = t0 + timeout_s
        try:
            self._attach(call)
            if self.persona.wait_for_greeting:
                seg = self._wait(lambda leg: leg.heard, self.persona.greeting_timeout_s)
                if seg:
                    self.report.greeting_latency_ms = self.leg.heard[0].start * self.frame_ms
                    first = self.persona.turns[0] if self.persona.turns else None
                    if first is None or first.barge_in_after_ms is None:  # else: talk over the greeting
                        self._wait_bot_done()
            for index, turn in enumerate(self.persona.turns):
                self._play_turn(index, turn)
            self._after_last_turn()
        except CallOver:
            pass
        self.report.duration_s = round(time.time() - t0, 2)

    def _play_turn(self, index: int, turn: PersonaTurn) -> None:
        self._wait_for_our_moment(index, turn)
        leg = self.leg  # only now: a transfer during the waits moves us to a new leg
        rep = TurnReport(index, "dtmf" if turn.dtmf else "wav" if turn.wav else "say",
                         turn.dtmf or turn.say or turn.wav, leg.call.uid, barge_in=turn.barge_in_after_ms is not None)
        end_tick = self._say(leg, turn, self.audio[index], rep)
        self.report.turns.append(rep)
        if not turn.wait_for_bot:
            return
        seg = self._wait(lambda lg: lg.bot_audio_after(end_tick), self.persona.reply_timeout_s, soft=True)
        if seg is not None and self.leg is leg:
            rep.reply_start_s = leg.seconds(seg.start)
            rep.reply_latency_ms = (seg.start - end_tick) * self.frame_ms

    def _wait_for_our_moment(self, index: int, turn: PersonaTurn) -> None:
        """As a person would: after a transfer lands, after a pause, over the bot (barge-in), or once
        the bot has finished."""
        if turn.after_transfer:
            self._wait(lambda lg: len(self.legs) > 1, self.persona.reply_timeout_s * 3)
        if turn.pause_ms:
            self._sleep(turn.pause_ms / 1000)
        if turn.barge_in_after_ms is not None:
            self._wait(lambda lg: lg.heard and lg.bot_silent_for() == 0, self.persona.reply_timeout_s)
            self._sleep(turn.barge_in_after_ms / 1000)
        elif (index > 0 or self.persona.wait_for_greeting) and turn.wait_for_bot:
            self._wait_bot_done()

    def _say(self, leg: CallLeg, turn: PersonaTurn, audio: np.ndarray | None, rep: TurnReport) -> int:
        """Keys or speech on ``leg``; fills the report's times; returns the tick our turn ended."""
        if turn.dtmf:
            self.ua.send_dtmf(leg.call, turn.dtmf, turn.dtmf_method or None)
            rep.start_s = rep.end_s = leg.seconds(leg.tick)
            return leg.tick
        if audio is None or not len(audio):
            return leg.tick
        start_tick = leg.tick
        leg.port.enqueue_audio(audio.tobytes())
        self._wait(lambda lg: not lg.speaking() and lg.said and lg.said[-1].end >= start_tick, 60)
        said = leg.said[-1]
        rep.start_s, rep.end_s = leg.seconds(said.start), leg.seconds(said.end)
        if rep.barge_in:
            self._pump_for(0.8)
            rep.bot_stopped_after_ms = self._bot_stop_ms(leg, said.start)
        return said.end

    def _bot_stop_ms(self, leg: CallLeg, our_start: int) -> float | None:
        """How long the bot kept talking after we started talking over it."""
        overlapping = [s for s in leg.heard if s.end >= our_start and s.start <= our_start + 100]
        if not overlapping:
            return None
        return max(0, overlapping[0].end - our_start) * self.frame_ms

    def _after_last_turn(self) -> None:
        self._wait_bot_done()
        if self.persona.after_last_turn == "hangup":
            self.ua.hangup(self.leg.call, 200, reason="callee")
            self.report.ended_by = "callee"
            self._sleep(0.5)
        else:
            self._wait(lambda lg: False, self.persona.reply_timeout_s, soft=True)
            if not self.leg.call.ended:
                self.ua.hangup(self.leg.call, 200, reason="callee")
                self.report.ended_by = "callee (bot did not hang up)"

    # --- waiting, legs ------------------------------------------------------------------
    def _wait_bot_done(self) -> None:
        """Wait until the bot has been quiet for ``bot_done_silence_ms`` (its reply's start was awaited
        already). A person lets a long turn finish: a goodbye line followed by the survey question runs
        13 s, past ``reply_timeout_s`` (how long to wait for a reply to *start*); ``max_bot_turn_s``
        caps a bot that never stops (hold music)."""
        need = self.persona.bot_done_silence_ms // self.frame_ms
        self._wait(lambda lg: lg.bot_silent_for() >= need, max(self.persona.max_bot_turn_s, self.persona.reply_timeout_s),
                   soft=True)

    def _wait(self, cond: Callable[[CallLeg], Any], timeout_s: float, soft: bool = False) -> Any:
        deadline = min(time.time() + timeout_s, self.deadline)
        while True:
            self._pump()
            value = cond(self.leg)
            if value:
                return value
            if time.time() >= deadline:
                if soft:
                    return None
                raise CallOver()
            time.sleep(0.01)

    def _sleep(self, seconds: float) -> None:
        self._wait(lambda lg: False, seconds, soft=True)

    def _pump_for(self, seconds: float) -> None:
        self._sleep(seconds)

    def _pump(self) -> None:
        leg = self.leg
        while True:
            try:
                sig = leg.call.signals.get_nowait()
            except queue.Empty:
                break
            if sig.kind == "ended":
                self.report.ended_by = self.report.ended_by or ("bot" if sig.data.get("hung_up_by") == "remote" else "callee")
                self.report.end_code = sig.data.get("code", 0)
                if not self._follow_transfer(leg):
                    leg.pump()
                    raise CallOver()
                return
            if sig.kind in ("transferred_to", "replaced"):
                leg.moved_to = sig.data["call"]
        leg.pump()

    def _follow_transfer(self, leg: CallLeg) -> bool:
        new_call = leg.moved_to
        if new_call is None:
            return False
        log.info("following_transfer", old=leg.call.uid, new=new_call.uid)
        self.report.ended_by = ""
        self._attach(new_call, transferred_from=leg.call.uid)
        return True

    def _attach(self, call: SipCall, transferred_from: str | None = None) -> None:
        deadline = time.time() + 30
        while call.port is None:
            if call.ended or time.time() > deadline:
                sig_code = call.signals.queue[-1].data.get("code") if call.signals.qsize() else 0
                self.report.end_code = sig_code or 0
                self.report.ended_by = "not answered"
                raise CallOver()
            time.sleep(0.01)
        self.leg = CallLeg(call, self.frame_ms, self.record_root)
        self.legs.append(self.leg)
        self.report.legs.append({"call_id": call.uid, "codec": call.codec, "remote": call.remote_uri,
                                 "transferred_from": transferred_from,
                                 "recording": str(self.leg.recorder.wav_path) if self.leg.recorder else None})

    def _close(self) -> None:
        for leg in self.legs:
            leg.pump()
            leg.close()
            for info in self.report.legs:
                if info["call_id"] == leg.call.uid:
                    info["heard_bot_s"] = round(sum(s.end - s.start + 1 for s in leg.heard) * self.frame_ms / 1000, 2)
                    info["stream"] = leg.call.last_stream_stats
        self.leg = None
        self.legs = []
        if self._owns_ua:
            self.ua.stop()


def _trim(pcm: np.ndarray) -> np.ndarray:
    """Cut leading/trailing silence so "end of speech" is the end of the voice, not of the file."""
    if len(pcm) == 0:
        return pcm
    x = np.abs(pcm.astype(np.float32))
    win = 160
    n = len(x) // win
    if n == 0:
        return pcm
    rms = np.sqrt((x[: n * win].reshape(n, win) ** 2).mean(axis=1))
    voiced = np.nonzero(rms > SILENCE_RMS)[0]
    if len(voiced) == 0:
        return pcm
    return pcm[voiced[0] * win : (voiced[-1] + 1) * win]
