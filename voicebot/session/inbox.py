"""One inbox per call: the session thread sleeps until something happened or a timer is due.

The session used to poll every source every 10 ms. Now every thread that changes something the
session acts on posts to the call's ``CallInbox``, and the session blocks in ``wait`` with a
timeout equal to its next timer deadline (no-input, holding line, ASR overdue, TTS stall):

* the transport: callee frames arrived (``frames_arrived``: the media clock's hot path), the bot's
  playout ran dry, a ``CallSignal`` was put in ``call.signals`` (``SignalQueue.wake``);
* a recognition future finished (its done-callback);
* the speaker: a line finished rendering, the render queue emptied, synthesis failed;
* a supervisor's order or barge; a transfer finished.

Design: the events are typed (``Wake``: a small frozen dataclass naming its source), but they are
wake-ups, not the work itself: on waking the session drains its sources (port deques, signal
queue, pending turns, orders) as its loop always did. The stages already own thread-safe queues of
their own; carrying their contents in events would mean rewriting each stage and keeping the same
state twice, for no gain: draining an empty source costs less than a lock. The events are module
singletons, so posting allocates nothing, and frame wake-ups are coalesced (one in the inbox at a
time), so a session that falls behind finds one wake-up and drains every frame behind it.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Iterable, Literal

WakeSource = Literal["frames", "signal", "recognition", "speaker", "order", "transfer"]


@dataclass(frozen=True)
class Wake:
    source: WakeSource


FRAMES, SIGNAL, RECOGNITION, SPEAKER, ORDER, TRANSFER = (
    Wake("frames"), Wake("signal"), Wake("recognition"), Wake("speaker"), Wake("order"), Wake("transfer"))


class CallInbox:
    """Any thread posts; only the call's session thread waits."""

    def __init__(self) -> None:
        # SimpleQueue: put is one C call (no Python-level lock, no condition variable to notify).
        self._queue: queue.SimpleQueue[Wake] = queue.SimpleQueue()
        self._frames_pending = False
        self.wakes = 0  # times wait() returned with something posted (for tests and benchmarks)
        self.timeouts = 0  # times wait() returned because a timer was due

    def post(self, event: Wake) -> None:
        self._queue.put(event)

    def frames_arrived(self) -> None:
        """The media clock's per-frame hook: O(1), no lock held, nothing allocated. A frame wake-up
        already waiting covers this frame too (the session clears the flag before it drains)."""
        if not self._frames_pending:
            self._frames_pending = True
            self._queue.put(FRAMES)

    def signal_arrived(self) -> None:
        self._queue.put(SIGNAL)

    def wait(self, timeout: float | None) -> list[Wake]:
        """Blocks until something is posted (returns all of it) or ``timeout`` seconds pass (returns
        []). None waits for a post however long it takes."""
        try:
            first = self._queue.get(timeout=None if timeout is None else max(0.0, timeout))
        except queue.Empty:
            self.timeouts += 1
            return []
        events = [first]
        try:
            while True:
                events.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        # Cleared before the caller drains the port: a frame appended after this posts again.
        self._frames_pending = False
        self.wakes += 1
        return events


def timeout_until(deadlines: Iterable[float | None], checked_at: float, now: float) -> float | None:
    """Seconds from ``now`` to the earliest deadline (wall-clock times), None without one.

    A deadline at or before ``checked_at`` (when the session's checks began) was seen due by those
    checks: either they acted on it, or a condition held it back that only a posted event can lift
    (the bot was talking, the callee was). Waiting for it again would spin, so it is left out."""
    due = [d for d in deadlines if d is not None and d > checked_at]
    return max(0.0, min(due) - now) if due else None
