"""What the conversation core needs from a phone line, and nothing more.

Three small protocols, satisfied structurally (no base class to inherit):

* ``MediaPort``: audio in (``rx``: callee frames, one per tick), audio out (``enqueue_audio``,
  ``stop_playout`` for barge-in) and what actually went out each tick (``played``). Frames are int16
  mono at ``clock_rate``, ``frame_ms`` long. The clock that moves them belongs to the transport.
* ``CallLeg``: one call as the core sees it: identity, direction, state flags, its ``MediaPort``
  once media is up, and ``signals``: a thread-safe queue of ``CallSignal`` (answered, media_ready,
  dtmf, transfer_status, ended ...) that the transport fills from its own thread.

Wake-ups: the session sleeps until something happens (``voicebot.session.inbox``). It sets a
port's ``wake`` (the transport calls it after it appended a callee frame, and when the bot's
playout ran dry) and ``signals.wake`` (a ``SignalQueue`` calls it after every put).
* ``CallControl``: what the core does to calls: answer, hang up, place a call, transfers, bridge.

The SIP implementation is ``voicebot.sip`` (``SipUserAgent``, ``SipCall``, ``CallAudioPort``);
``voicebot.transport.memory`` is an in-process one for fast tests of everything above it.
"""

from __future__ import annotations

import queue
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Protocol, TypeVar

SignalKind = Literal[
    "ringing", "answered", "media_ready", "dtmf", "ended", "transfer_status", "transferred_to", "replaced"
]
T = TypeVar("T")


@dataclass(frozen=True)
class CallSignal:
    kind: SignalKind
    data: dict[str, Any] = field(default_factory=dict)


def unanswered_reason(code: int) -> str:
    """Why an outbound call never connected, from its final (SIP) status."""
    if code in (408, 480, 487):
        return "no_answer"
    if code in (486, 600, 603):
        return "busy"
    if code in (404, 484, 604):
        return "invalid"
    return "failed"


def drain(dq: deque[T]) -> list[T]:
    """Everything queued so far, oldest first (popleft is atomic: safe against the clock thread)."""
    out: list[T] = []
    try:
        while True:
            out.append(dq.popleft())
    except IndexError:
        return out


def split_frames(pcm_bytes: bytes, frame_bytes: int) -> list[bytes]:
    """Bot audio cut into whole frames, the last one padded with silence."""
    if len(pcm_bytes) % frame_bytes:
        pcm_bytes += b"\x00" * (frame_bytes - len(pcm_bytes) % frame_bytes)
    return [pcm_bytes[i: i + frame_bytes] for i in range(0, len(pcm_bytes), frame_bytes)]


class SignalQueue(queue.Queue[CallSignal]):
    """A call's signals; ``wake`` (set by the session, any thread) is called after every put, so no
    place in a transport that reports something can forget to wake the session."""

    wake: Callable[[], None] | None = None

    def put(self, item: CallSignal, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        wake = self.wake
        if wake is not None:
            wake()

    def also_wake(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` after every put as well, without taking the signals from whoever reads them
        (a transfer watching the customer's leg, whose signals are the session's)."""
        before = self.wake
        if before is None:
            self.wake = fn
            return

        def both() -> None:
            before()
            fn()
        self.wake = both


class PlayoutQueue:
    """Bot audio waiting for the clock: ``tx`` holds whole frames; the transport's clock pops one a
    tick. Shared by the SIP port and the memory port (a mixin: it needs ``tx`` and ``frame_bytes``)."""

    tx: deque[bytes]
    frame_bytes: int

    def enqueue_audio(self, pcm_bytes: bytes) -> int:
        """Queue bot audio (int16 at the port's clock rate) for playout; returns the frames queued."""
        frames = split_frames(pcm_bytes, self.frame_bytes)
        self.tx.extend(frames)
        return len(frames)

    def stop_playout(self) -> int:
        """Barge-in: drop everything not yet played. Takes effect at the next clock tick."""
        dropped = len(self.tx)
        self.tx.clear()
        return dropped


class MediaPort(Protocol):
    clock_rate: int
    frame_ms: int
    frame_bytes: int
    rx: deque[bytes]  # callee -> bot, one frame per tick
    tx: deque[bytes]  # bot -> callee, waiting for playout
    played: deque[bytes | None]  # what went out each tick (None = silence)
    # Set by the session; the transport calls it (O(1), from its clock) after a callee frame was
    # appended to ``rx`` and when ``tx`` ran dry. None: nobody listens.
    wake: Callable[[], None] | None

    def enqueue_audio(self, pcm_bytes: bytes) -> int: ...

    def stop_playout(self) -> int: ...

    def callback_stats(self) -> dict[str, float]: ...


class CallLeg(Protocol):
    uid: str
    direction: Literal["inbound", "outbound"]
    signals: SignalQueue
    port: MediaPort | None
    remote_uri: str
    codec: str
    answered: bool
    ended: bool
    last_stream_stats: dict[str, float]


class CallControl(Protocol):
    def answer(self, call: Any, code: int = 200) -> None: ...

    def hangup(self, call: Any, code: int = 200, reason: str = "bot") -> None: ...

    def make_call(self, uri: str, headers: dict[str, str] | None = None) -> Any: ...

    def blind_transfer(self, call: Any, target_uri: str) -> None: ...

    def attended_transfer(self, call: Any, consult: Any) -> None: ...

    def connect_audio(self, a: Any, b: Any) -> None: ...

    def send_dtmf(self, call: Any, digits: str, method: str | None = None) -> None: ...


def play_and_wait(port: MediaPort, pcm: bytes, still_up: Callable[[], bool],
                  meanwhile: Callable[[], None] | None = None, poll_s: float = 0.02) -> bool:
    """Queue ``pcm`` on ``port`` and wait until it has all gone out (True) or ``still_up()`` turned
    False. ``meanwhile`` runs at every poll (e.g. topping up hold music on another line). For
    prompts outside a conversation; a conversation's lines go through the session's ``BotSpeaker``."""
    port.enqueue_audio(pcm)
    while port.tx:
        if not still_up():
            return False
        if meanwhile is not None:
            meanwhile()
        time.sleep(poll_s)
    return still_up()


def wait_until_answered(call: CallLeg, timeout_s: float, poll_s: float = 0.05) -> bool:
    """True once ``call`` is answered with media up; False if it ended or ``timeout_s`` passed."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if call.ended:
            return False
        if call.port is not None and call.answered:
            return True
        time.sleep(poll_s)
    return False
