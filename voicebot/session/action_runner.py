"""Carries out the dialogue's actions in order: lines are said at once (they queue in the speaker),
everything else waits until the bot has finished talking, as a person would before hanging up.

Owns what follows from actions: the lines said (written to the transcript once played or cut, with
their reply latency), a running transfer, a requested hang-up, and the outcome's tags, callbacks
and offers. Runs on the session thread only.
"""

from __future__ import annotations

import queue
import time
from typing import TYPE_CHECKING, Any, Callable

from voicebot.dialogue.base import Action, HangUp, Say, ScheduleCallback, SendOffer, Tag, Transfer
from voicebot.session.results import TurnTiming
from voicebot.session.speaker import BotSpeaker, SpokenLine
from voicebot.session.transfer import TransferRunner

if TYPE_CHECKING:
    from voicebot.dialogue.base import CallInfo
    from voicebot.recording.recorder import CallRecorder
    from voicebot.session.engines import Engines
    from voicebot.transport.base import CallControl, CallLeg


class ActionRunner:
    def __init__(self, speaker: BotSpeaker, control: CallControl, call: CallLeg, engines: Engines,
                 info: CallInfo, outcome: dict[str, Any], publish: Callable[..., None],
                 on_transfer_result: Callable[[bool, str], list[Action]],
                 wake: Callable[[], None] | None = None) -> None:
        self.speaker, self.control, self.call, self.engines, self.info = speaker, control, call, engines, info
        self.settings = engines.settings
        self.outcome, self._publish, self._on_transfer_result = outcome, publish, on_transfer_result
        self._wake = wake  # the session's inbox, for a transfer's end
        self.actions: queue.Queue[Action] = queue.Queue()
        self.spoken: list[SpokenLine] = []
        self.timings: list[TurnTiming] = []
        self.transfer: TransferRunner | None = None
        self.hangup_requested = False
        self.recorder: CallRecorder | None = None
        self.answered_at = 0.0
        self.last_spoken_at = 0.0  # a line finished: the silence clock restarts

    @property
    def busy(self) -> bool:
        """A transfer runs or the bot is hanging up: those already are the next thing to happen."""
        return self.transfer is not None or self.hangup_requested

    @property
    def idle(self) -> bool:
        return self.actions.empty() and self.transfer is None and not self.speaker.speaking

    def queue(self, actions: list[Action]) -> SpokenLine | None:
        """Says lines at once (they queue in the speaker); holds other actions until playout ends."""
        first_line = None
        for action in actions:
            if isinstance(action, (ScheduleCallback, Tag)):
                # A promise already made: booked now, so a cut line (barge-in replaces the queue) or the
                # callee hanging up during "we will call you back" cannot lose it. A tag is a record of
                # what was decided: held in the queue it would also hold back the lines after it, and
                # the callee would hear a pause long enough to answer into (goodbye … survey question).
                self._act(action)
            elif isinstance(action, Say) and self.actions.empty():
                line = self.say(action.text)
                first_line = first_line or line
            else:
                self.actions.put(action)
        return first_line

    def replace(self, actions: list[Action]) -> None:
        """What the plan had queued is dropped, the current line cut, and ``actions`` go next."""
        self.speaker.interrupt()
        with self.actions.mutex:
            self.actions.queue.clear()
        self.queue(actions)

    def say(self, text: str) -> SpokenLine:
        line = self.speaker.say(text)
        self.spoken.append(line)
        self._publish("bot_turn", text=text)
        return line

    def run(self) -> None:
        self.log_spoken()
        if self.transfer is not None:
            if self.transfer.poll():
                ok, detail = self.transfer.result
                self.outcome["transfer"] = {"ok": ok, "detail": detail, **self.transfer.describe()}
                # The console counts the agent busy from the transfer until this says no agent took it.
                self._publish("transfer_result", ok=ok, bridged=bool(self.outcome["transfer"]["bridged"]))
                self.transfer = None
                self.queue(self._on_transfer_result(ok, detail))
            return
        while not self.actions.empty():
            action = self.actions.queue[0]
            if isinstance(action, Say):
                self.actions.get()
                self.say(action.text)
                continue
            if self.speaker.speaking:
                return  # hang-ups and transfers wait for the bot to finish its line
            self.actions.get()
            self._act(action)
            if self.busy:
                return

    def _act(self, action: Action) -> None:
        if isinstance(action, HangUp):
            self.hangup_requested = True
            self.outcome["hangup_reason"] = action.reason
            self.control.hangup(self.call, 200, reason="bot")
        elif isinstance(action, Transfer):
            self.transfer = TransferRunner(self.control, self.call, action, self.engines, self.info,
                                           self.settings.dialogue.transfer_timeout_s, self._wake)
            self._publish("transfer", target=action.target, mode=action.mode, reason=action.reason)
            self.transfer.start()
        elif isinstance(action, Tag):
            self.outcome["tags"].extend(action.tags)
            self._publish("tag", tags=list(action.tags))
        elif isinstance(action, ScheduleCallback):
            cb = {"at": action.at.isoformat() if action.at else None, "delay_s": action.delay_s, "note": action.note}
            self.outcome["callbacks"].append(cb)
            self._publish("callback", **cb)
        elif isinstance(action, SendOffer):
            self.outcome["offers"].append(action.offer)
            self._publish("offer", offer=action.offer)

    def log_spoken(self) -> None:
        """Writes each bot line to the transcript once it has finished or been cut."""
        playing = self.speaker.speaking
        while self.spoken and (self.spoken[0].interrupted or (self.spoken[0].done.is_set() and not playing)
                               or (self.spoken[0].done.is_set() and len(self.spoken) > 1)):
            line = self.spoken.pop(0)
            start = (line.first_audio_at or line.queued_at) - self.answered_at
            end = start + line.frames * self.settings.media.frame_ms / 1000
            latency = None
            if line.ended_speech_at is not None and line.first_audio_at is not None:
                latency = (line.first_audio_at - line.ended_speech_at) * 1000
                self.timings.append(TurnTiming(latency, line.asr_ms))
                self._publish("reply_latency", latency_ms=round(latency), asr_ms=round(line.asr_ms))
            if self.recorder:
                self.recorder.add_transcript("bot", line.text, start, end, None, interrupted=line.interrupted,
                                             latency_ms=round(latency) if latency is not None else None)
            self.last_spoken_at = time.time()

    def stop(self) -> None:
        """The call is over or handed to a person: stop talking, write what was said."""
        self.speaker.interrupt()
        self.log_spoken()
