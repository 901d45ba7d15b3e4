"""One conversation: the loop that listens, recognises, asks the dialogue, and speaks.

Runs on its own thread, asleep on the call's ``CallInbox`` until something happened (frames, a
signal, a finished recognition, the speaker, an order) or its next timer is due. Each pass drains
the call's frames into the listener stages (``CallListener``), hands finished turns from
``TurnRecognition`` to the dialogue, and lets the ``ActionRunner`` carry out what the dialogue said
to do (lines through the ``BotSpeaker``, transfers, hang-up). Nothing here blocks for long:
recognition, synthesis and emotion features run on the shared pools. The call itself is a
transport's (``voicebot.transport``): SIP, or in memory for tests.
"""

from __future__ import annotations

import queue
import threading
import time
from functools import partial
from typing import Any

import numpy as np

from voicebot.asr.base import Transcript
from voicebot.call_events import CallEvent, public_customer
from voicebot.campaign.optout import dialogue_tags, watch_call
from voicebot.dialogue.base import CallInfo, ReportsState, Say, UserTurn
from voicebot.locales import whisper_language
from voicebot.logs import get_logger
from voicebot.media.frames import BargeIn, SpeechPaused, SpeechResumed, SpeechStarted, TurnEnded
from voicebot.recording.recorder import CallRecorder
from voicebot.session.action_runner import ActionRunner
from voicebot.session.call_recording import RecordingFailures
from voicebot.session.call_setup import prerender_personal_lines, wait_for_media
from voicebot.session.emergency import EmergencyPlan, EngineFailure
from voicebot.session.engines import Engines
from voicebot.session.inbox import ORDER, RECOGNITION, SPEAKER, TRANSFER, CallInbox, timeout_until
from voicebot.session.listener import CallListener
from voicebot.session.no_input import NoInputTimer
from voicebot.session.partials import PartialTranscriber
from voicebot.session.reply_wait import ReplyWait
from voicebot.session.results import PendingTurn, SessionResult
from voicebot.session.speaker import BotSpeaker
from voicebot.session.supervision import SupervisorOrders, record_until_hangup
from voicebot.session.turn_emotion import TurnEmotion
from voicebot.session.turn_recognition import TurnRecognition, expected_answers, recognition_prompt
from voicebot.transport.base import CallControl, CallLeg, CallSignal, drain

MIN_UNHEARD_TURN_S = 0.6


class CallSession:
    def __init__(self, ua: CallControl, call: CallLeg, engines: Engines, info: CallInfo) -> None:
        self.ua, self.call, self.engines, self.info = ua, call, engines, info
        self.settings = engines.settings
        self.log = get_logger("voicebot.session", call_id=call.uid)
        self.listener = CallListener(self.settings.turn, self.settings.media.clock_rate, self.settings.media.frame_ms)
        self.dialogue = engines.dialogues.new_dialogue(info)
        self.inbox = CallInbox()
        call.signals.wake = self.inbox.signal_arrived
        self.emotion = TurnEmotion(engines.emotion_factory(), self.settings.media.clock_rate,
                                   self.log) if engines.emotion_factory else None
        self.partials = PartialTranscriber(
            engines.recognizer, whisper_language(info.locale), lambda text: self._publish("partial_transcript", text=text),
            call.uid) if engines.streaming_asr else None
        self.speaker: BotSpeaker | None = None
        self.emergency = EmergencyPlan(self.settings, info.locale)
        self.recorder: CallRecorder | None = None
        self.turns = TurnRecognition(engines, info.locale, call.uid, self.emergency,
                                     partial(recognition_prompt, self.dialogue), self.partials,
                                     partial(expected_answers, self.dialogue, self.settings.asr.closed_set,
                                             self.settings.asr.closed_set_fallback),
                                     partial(self.inbox.post, RECOGNITION), self.emotion.prosody if self.emotion else None)
        self.runner: ActionRunner | None = None  # once media is up
        self.reply_wait: ReplyWait | None = None  # once media is up
        self.outcome: dict[str, Any] = {"tags": [], "callbacks": [], "offers": []}
        self.recording = RecordingFailures(self.outcome, engines.recording_health, self.log, self._publish)
        self.orders = SupervisorOrders(partial(self.inbox.post, ORDER))  # supervisor.phone, the console: any thread
        self.answered_at = 0.0
        self._drained_at = 0.0
        self.no_input = NoInputTimer(self.settings.turn.no_input_timeout_s)
        self.ended: dict[str, Any] | None = None
        self.result: SessionResult | None = None
        self.tap: Any = None  # live-listen tap (voicebot.supervisor.audio_tap), when the process has one
        self._state = ""
        self.opt_out = watch_call(self.settings, info)  # do-not-call written the moment it is asked for
        self._thread = threading.Thread(target=self._run_safely, name=f"call-{call.uid}", daemon=True)

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> SessionResult | None:
        self._thread.join(timeout)
        return self.result

    def _publish(self, kind: str, **data: Any) -> None:
        self.engines.publish(CallEvent(kind, self.call.uid, data))

    def _run_safely(self) -> None:
        try:
            self._run()
        except Exception:
            # One broken call must never take the others down: log, hang up, finish the record.
            self.log.exception("session_crashed")
            self.outcome["error"] = "session crashed"
            if not self.call.ended:
                self.ua.hangup(self.call, 500, reason="error")
        finally:
            self._finish()

    def _run(self) -> None:
        self._publish("call_started", direction=self.info.direction, remote=self.info.remote_uri,
                      locale=self.info.locale, customer=public_customer(self.info.customer))
        if self.call.direction == "inbound":
            self.ua.answer(self.call, 200)
        prerender_personal_lines(self.dialogue, self.info, self.engines, self.log)
        if not self._wait_for_media():
            return
        port = self.call.port
        assert port is not None  # _wait_for_media: media is up
        self.speaker = BotSpeaker(port, self.engines.renderer.stream, self.info.locale, self.engines.tts_pool,
                                  self.call.uid, partial(self.inbox.post, SPEAKER))
        self.runner = ActionRunner(self.speaker, self.ua, self.call, self.engines, self.info, self.outcome,
                                   self._publish, self.dialogue.on_transfer_result, partial(self.inbox.post, TRANSFER))
        port.wake = self.inbox.frames_arrived
        self.reply_wait = ReplyWait(self.settings, self.info.locale, self.runner.say, self._publish, self.call.uid)
        if self.settings.recording.enabled:
            self.recorder = self.runner.recorder = self.recording.open(self.settings, self.call.uid, port,
                                                                       self.engines.transcript_key)
        if self.engines.listen_taps is not None:
            self.tap = self.engines.listen_taps.open(self.call.uid, port.clock_rate)
        self.answered_at = self.runner.answered_at = time.time()
        self.no_input.restart()
        self._publish("call_answered", codec=self.call.codec, remote=self.call.remote_uri or self.info.remote_uri)
        if self.settings.recording.consent_announcement:
            self.runner.actions.put(Say(self.settings.recording.consent_text[self.info.locale], interruptible=False))
        self.runner.queue(self.dialogue.start(self.info))
        self._publish_state()
        while self.ended is None:
            checked_at = time.time()
            self._pump_audio()
            self._poll_signals()
            self._poll_turns()
            if self.runner is not None:
                self.orders.carry_out(self.runner, self.dialogue, self.turns, self.log, self._publish)
            if self.orders.barged_by is not None:
                self._leave_for_supervisor()
                break
            self._check_engines()
            self.runner.run()
            if self.opt_out is not None:
                self.opt_out.check(dialogue_tags(self.dialogue, self.outcome["tags"]))
            self._check_no_input()
            if self.ended is None:  # else the call is over: nothing more will be posted
                self.inbox.wait(timeout_until(self._deadlines(), checked_at, time.time()))

    def _deadlines(self) -> list[float | None]:
        """Every timer the loop's checks keep (wall times); the rest of what they check is posted."""
        assert self.speaker is not None and self.runner is not None and self.reply_wait is not None  # media is up
        oldest = self.turns.pending[0] if self.turns.pending else None
        return [self.no_input.due_at(self.speaker.speaking, self.runner.last_spoken_at, self._no_input_held()),
                self.reply_wait.due_at(oldest),
                *self.emergency.due_at(self.turns.waiting_since(), self.speaker.stalled_since()),
                self.opt_out.retry_at() if self.opt_out is not None else None]

    def _wait_for_media(self) -> bool:
        wait = wait_for_media(self.ua, self.call, self.settings.sip.ring_timeout_s)
        if wait.ended is not None:
            self.ended = wait.ended
        if wait.answered_by is not None:
            self.outcome["answered_by"] = wait.answered_by
        return wait.ready

    # --- audio in -------------------------------------------------------------------
    def _pump_audio(self) -> None:
        port = self.call.port
        if port is None:
            return
        callee = drain(port.rx)
        bot = drain(port.played)
        self._drained_at = time.time()
        if self.recorder is not None:
            self.recorder.add_frames(callee, bot)
            self.recording.check(self.recorder)
        if self.tap is not None:
            self.tap.feed(callee, bot)
        in_turn = self.listener.callee_speaking
        for event in self.listener.feed(callee, bot):
            if isinstance(event, SpeechStarted):
                self.no_input.restart()
                if self.partials:
                    self.partials.start_turn(event.audio)
                    in_turn = False  # this batch's frames are in the event's audio already
            elif isinstance(event, SpeechPaused) and not self.partials:
                self.turns.speech_paused(event)
            elif isinstance(event, SpeechResumed):
                self.turns.speech_resumed()
            elif isinstance(event, BargeIn):
                self._barge_in(event)
            elif isinstance(event, TurnEnded):
                if self.partials and in_turn:
                    self.partials.feed(np.frombuffer(b"".join(callee), dtype=np.int16))
                    in_turn = False
                self._turn_ended(event)
        if self.partials and in_turn and self.listener.callee_speaking and callee:
            self.partials.feed(np.frombuffer(b"".join(callee), dtype=np.int16))

    def _barge_in(self, event: BargeIn) -> None:
        assert self.runner is not None  # the loop runs once media is up
        if (self.speaker is None or not self.speaker.speaking or self.runner.hangup_requested
                or self.orders.carrying_out):
            return
        cut = self.speaker.interrupt()
        # Callee frame that completed the barge-in -> playout stopped: frames queued behind it in
        # this batch, our processing time, and one clock tick until the bridge pulls nothing.
        frame_ms = self.settings.media.frame_ms
        stop_ms = (self.listener.frames - 1 - event.frame) * frame_ms + (time.time() - self._drained_at) * 1000 + frame_ms
        self.log.info("barge_in", speech_ms=event.speech_ms, lines_cut=len(cut), stop_latency_ms=round(stop_ms, 1))
        self._publish("barge_in", frame=event.frame, stop_latency_ms=round(stop_ms, 1))

    def _turn_ended(self, event: TurnEnded) -> None:
        if event.overlapped_bot and self.speaker is not None and self.speaker.speaking:
            # Callee sound under the bot that never qualified as barge-in: a cough, "uh-huh", echo.
            self.turns.forget_speculation()
            self.log.info("overlap_ignored", frames=event.end_frame - event.start_frame)
            return
        self.turns.turn_ended(event, (self.listener.frames - 1 - event.end_frame) * self.settings.media.frame_ms / 1000)

    # --- turns -> dialogue ------------------------------------------------------------
    def _poll_turns(self) -> None:
        self.turns.ready(self._handle_turn, self._engine_failed)
        if self.turns.pending and self.emergency.failure is None:
            assert self.reply_wait is not None and self.runner is not None  # the loop runs once media is up
            self.reply_wait.check(self.turns.pending[0], not self.runner.idle or self.runner.busy
                                  or self.listener.callee_speaking)

    def _check_engines(self) -> None:
        assert self.speaker is not None  # the loop runs once media is up
        if self.speaker.failure is not None:
            self._engine_failed(EngineFailure("tts", "error", str(self.speaker.failure) or "synthesis failed"))
        elif self.emergency.tts_stalled(self.speaker.stalled_s()):
            self._engine_failed(EngineFailure(
                "tts", "timeout", f"no audio from synthesis for {self.settings.emergency.tts_timeout_s:g} s"))

    def _engine_failed(self, failure: EngineFailure) -> None:
        """The emergency plan replaces the conversation: apology, then a person or a callback."""
        actions = self.emergency.trigger(failure)
        if actions is None:
            return
        assert self.speaker is not None and self.runner is not None  # the loop runs once media is up
        self.log.error("engine_failure", **failure.to_dict())
        self._publish("engine_failure", **failure.to_dict())
        self.outcome["engine_failure"] = failure.to_dict()
        self.speaker.failure = None
        self.turns.clear()
        self.runner.replace(actions)
        self.orders.carrying_out = True  # the apology is said in full

    def _handle_turn(self, turn: PendingTurn, transcript: Transcript) -> None:
        fms = self.settings.media.frame_ms / 1000
        start_s, end_s = turn.start_frame * fms, turn.end_frame * fms
        text = transcript.text.strip()
        if not text and end_s - start_s < MIN_UNHEARD_TURN_S:
            self.log.info("empty_transcript", seconds=round(transcript.audio_s, 2))
            return  # a short sound with no words: noise, not a turn
        # Longer speech with no words is a turn we failed to understand: the dialogue's no-match.
        emotion = self.emotion.read(turn, text) if self.emotion is not None else None
        self.no_input.restart()
        # The recognition's own doubt, beside the dialogue's intent margin (its "intent" line).
        self.log.info("user_turn", text=text, confidence=round(transcript.confidence, 3),
                      no_speech=round(transcript.no_speech_prob, 3), expected_margin=transcript.expected_margin,
                      free_text=transcript.free_text or None, fallback=transcript.fallback_text or None,
                      asr_ms=round(transcript.elapsed_s * 1000), emotion=getattr(emotion, "label", None))
        if self.recorder:
            self.recorder.add_transcript("callee", text, start_s, end_s, transcript.confidence,
                                         emotion=getattr(emotion, "label", None))
        self._publish("user_turn", text=text, confidence=transcript.confidence, start=start_s, end=end_s,
                      asr_ms=round(transcript.elapsed_s * 1000))
        if emotion is not None:
            self._publish("emotion", label=emotion.label, confidence=emotion.confidence, evidence=emotion.evidence)
        actions = self.dialogue.on_user_turn(UserTurn(text, transcript.confidence, start_s, end_s, emotion,
                                                      by_sound=bool(transcript.free_text),
                                                      fallback_text=transcript.fallback_text))
        assert self.runner is not None  # the loop runs once media is up
        said = self.runner.queue(actions)
        self._publish_state()
        if said is not None:
            said.ended_speech_at = turn.ended_at
            said.asr_ms = transcript.elapsed_s * 1000

    # --- supervision ------------------------------------------------------------------
    def instruct(self, text: str, source: str = "typed") -> None:
        """A supervisor's whisper ("transfer now"), typed or recognised from speech. Any thread."""
        self.orders.instruct(text, source)

    def barge(self, supervisor: str) -> None:
        """The supervisor takes the call: the bot stops speaking and listening. Any thread."""
        self.orders.barge(supervisor)

    def _leave_for_supervisor(self) -> None:
        """Barge: the supervisor talks to the customer now. Keep recording until the call ends."""
        if self.runner is not None:
            self.runner.stop()
        self.turns.clear()
        at = round(time.time() - self.answered_at, 2)
        self.outcome["barged"] = {"supervisor_call": self.orders.barged_by, "at_s": at}
        self.log.info("bot_left_call", supervisor_call=self.orders.barged_by, at_s=at)
        self._publish("barged", supervisor_call=self.orders.barged_by, at_s=at)
        self.ended = record_until_hangup(self.call, self.recorder, self.inbox)

    # --- signals, silence -----------------------------------------------------------
    def _poll_signals(self) -> None:
        while True:
            try:
                sig: CallSignal = self.call.signals.get_nowait()
            except queue.Empty:
                return
            if sig.kind == "ended":
                self.ended = sig.data
            elif sig.kind == "dtmf":
                self.log.info("dtmf", digit=sig.data["digit"], method=sig.data["method"])
                self.outcome.setdefault("dtmf", []).append(sig.data["digit"])
                if self.recorder:
                    now = time.time() - self.answered_at
                    self.recorder.add_transcript("callee", f"[DTMF {sig.data['digit']}]", now, now, dtmf=sig.data["digit"])
                self._publish("dtmf", digit=sig.data["digit"], method=sig.data["method"])
                assert self.runner is not None  # the loop runs once media is up
                self.runner.queue(self.dialogue.on_dtmf(sig.data["digit"]))
            elif sig.kind == "transfer_status" and self.runner is not None and self.runner.transfer is not None:
                self.runner.transfer.on_status(sig.data)

    def _publish_state(self) -> None:
        """The dialogue's state (dialplan node) for the console, when it changes."""
        state = str(self.dialogue.state or "") if isinstance(self.dialogue, ReportsState) else ""
        if state and state != self._state:
            self._state = state
            self._publish("state", state=state)

    def _check_no_input(self) -> None:
        assert self.speaker is not None and self.runner is not None  # the loop runs once media is up
        if self.no_input.check(self.speaker.speaking, self.runner.last_spoken_at, self._no_input_held()):
            self._publish("no_input")
            self.runner.queue(self.dialogue.on_no_input())

    def _no_input_held(self) -> bool:
        assert self.runner is not None  # the loop runs once media is up
        return (self.listener.callee_speaking or bool(self.turns.pending) or self.runner.busy
                or self.emergency.failure is not None)

    def _finish(self) -> None:
        self.call.signals.wake = None
        if self.call.port is not None:
            self.call.port.wake = None  # a SIP port is recycled for another call
        if self.partials is not None:
            self.partials.close()
        if self.runner is not None:
            self.runner.stop()
        if self.recorder is not None:
            self.recording.close(self.recorder)
        if self.tap is not None:
            self.tap.close()
        ended = self.ended or {}
        try:
            self.outcome.update(self.dialogue.outcome())
        except Exception:
            self.log.exception("outcome_failed")
        self.outcome.setdefault("answered_by", "human" if self.answered_at else "no_answer")
        self.outcome["hung_up_by"] = ended.get("hung_up_by", "remote")
        self.outcome["duration_s"] = round(time.time() - self.answered_at, 2) if self.answered_at else 0.0
        self.result = SessionResult(
            self.call.uid, self.outcome,
            str(self.recorder.wav_path) if self.recorder else None,
            str(self.recorder.transcript_path) if self.recorder else None,
            self.runner.timings if self.runner is not None else [],
        )
        media = {**(self.call.port.callback_stats() if self.call.port is not None else {}), **self.call.last_stream_stats}
        media["speculation_shed"] = self.turns.speculation_shed  # recognition saturated (turn_recognition.py)
        if self.speaker is not None:
            media["playout_underruns"] = self.speaker.underruns
        self._publish("call_ended", outcome=self.outcome, recording=self.result.recording,
                      transcript=self.result.transcript, media=media,
                      latency_ms=[round(t.end_of_speech_to_first_audio_ms) for t in self.result.timings])
        self.log.info("call_finished", outcome=self.outcome, recording=self.result.recording,
                      transcript=self.result.transcript, media=media, codec=self.call.codec,
                      latency_ms=[round(t.end_of_speech_to_first_audio_ms) for t in self.result.timings])

