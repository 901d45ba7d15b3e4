"""A supervisor on a call (voicebot.supervisor.phone, the console): whispered orders, typed or
recognised from their speech, and the barge that hands the customer to them. Orders and barge
arrive on other threads and wake the session (its inbox); its loop carries them out between its
other steps."""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING, Any, Callable

from voicebot.transport.base import drain

if TYPE_CHECKING:
    from voicebot.dialogue.base import Dialogue
    from voicebot.recording.recorder import CallRecorder
    from voicebot.session.action_runner import ActionRunner
    from voicebot.session.inbox import CallInbox
    from voicebot.session.turn_recognition import TurnRecognition
    from voicebot.transport.base import CallLeg


class SupervisorOrders:
    def __init__(self, wake: Callable[[], None] | None = None) -> None:
        self._wake = wake or (lambda: None)
        self._instructions: queue.Queue[tuple[str, str]] = queue.Queue()
        self.barged_by: str | None = None
        # An order (or the emergency apology) is being said or done: the customer talking over it
        # cannot cut it short.
        self.carrying_out = False

    def instruct(self, text: str, source: str = "typed") -> None:
        """A supervisor's whisper ("transfer now"), typed or recognised from speech. Any thread."""
        self._instructions.put((text, source))
        self._wake()

    def barge(self, supervisor: str) -> None:
        """The supervisor takes the call: the bot stops speaking and listening. Any thread."""
        self.barged_by = supervisor
        self._wake()

    def carry_out(self, runner: ActionRunner, dialogue: Dialogue, turns: TurnRecognition, log: Any,
                  publish: Callable[..., None]) -> None:
        """The session loop's step: orders waiting are handed to the dialogue and done next."""
        if self.carrying_out and runner.idle:
            self.carrying_out = False
        # Held while a transfer runs or the bot is hanging up: those already are the next action.
        while not self._instructions.empty() and not runner.busy:
            text, source = self._instructions.get()
            actions = dialogue.on_instruction(text) or []  # a declared Dialogue member (dialogue/base.py)
            log.info("instruction", text=text, source=source, actions=[type(a).__name__ for a in actions])
            publish("instruction", text=text, source=source, actions=[type(a).__name__ for a in actions])
            if actions:
                # The supervisor's word is the next action: cut the current line, drop what the plan
                # had queued, and forget replies still being recognised (they would follow the order).
                turns.clear()
                runner.replace(actions)
                self.carrying_out = True


def record_until_hangup(call: CallLeg, recorder: CallRecorder | None, inbox: CallInbox) -> dict[str, Any] | None:
    """After a barge the supervisor talks to the customer; both sides are still recorded (the
    supervisor's voice reaches this port too, see supervisor.modes) until the call ends. Returns
    the call's end signal. Wakes for each frame and signal (the call's inbox)."""
    port = call.port
    assert port is not None  # a supervisor barged into a conversation: its media is up
    while True:
        while True:
            try:
                sig = call.signals.get_nowait()
            except queue.Empty:
                break
            if sig.kind == "ended":
                return sig.data
        callee, heard = drain(port.rx), drain(port.played)
        if recorder is not None:
            recorder.add_frames(callee, heard)
        inbox.wait(None)
