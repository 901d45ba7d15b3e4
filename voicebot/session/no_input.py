"""The no-input timer: the callee has said nothing for ``turn.no_input_timeout_s`` since the bot
stopped talking (or since their last turn). The session asks ``check`` on each pass and sleeps no
longer than ``due_at``."""

from __future__ import annotations

import time


class NoInputTimer:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.last_activity = 0.0  # wall time the silence being timed began

    def restart(self) -> None:
        self.last_activity = time.time()

    def check(self, bot_speaking: bool, last_spoken_at: float, held: bool) -> bool:
        """True when the silence has just become a no-input (the timer restarts). ``held``: something
        else is the next thing to happen (the callee speaks, a reply or transfer is under way)."""
        if bot_speaking:
            self.last_activity = time.time()  # the silence clock starts when the bot stops talking
            return False
        self.last_activity = max(self.last_activity, last_spoken_at)
        if held or time.time() - self.last_activity < self.timeout_s:
            return False
        self.last_activity = time.time()
        return True

    def due_at(self, bot_speaking: bool, last_spoken_at: float, held: bool) -> float | None:
        """When ``check`` will say no-input if nothing happens meanwhile; None while it cannot (what
        lifts that, the bot's playout ending or the callee's turn, wakes the session)."""
        if bot_speaking or held:
            return None
        return max(self.last_activity, last_spoken_at) + self.timeout_s
