"""A worker stops dialling while its engines keep failing, and dials again once they answer.

Each call whose ASR or TTS failed (``CallResult.engine_failure``: the emergency plan apologised)
burns a customer's attempt on an apology. After ``campaign.engine_failures_to_pause`` such calls in
a row the worker places no more calls; every ``campaign.engine_probe_interval_s`` it asks the
dialer's ``probe_engines()`` (a short recognition and a short rendering through the engines a call
uses) and resumes when that answers. A call the engines served without failing resets the count;
calls nobody answered say nothing about the engines.

Per worker, not per campaign: the engines are the worker's own process's. A dialer with no
``probe_engines`` has no engines to probe (text and simulated dialers): it is never paused.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voicebot.campaign.dialer import CallResult

# None: the engines answered; else why not (which engine, what failed).
EngineProbe = Callable[[], "str | None"]


@dataclass
class EnginePause:
    limit: int  # engine failures in a row that pause dialling; 0 = never pause
    probe_interval_s: float
    log: Any
    failures_in_row: int = 0
    paused_at: float | None = None  # time.monotonic() of the pause
    last_probe: float = -math.inf
    pauses: int = 0  # how many times dialling was paused (WorkerStats reports it)
    paused_s: float = 0.0  # total time paused, resumes included

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def record(self, result: CallResult, probe: EngineProbe | None) -> None:
        """After each call: count engine failures in a row, and pause at the limit."""
        if result.engine_failure:
            self.failures_in_row += 1
            if probe is not None and self.limit and self.failures_in_row >= self.limit and not self.paused:
                self.paused_at = self.last_probe = time.monotonic()  # the next probe waits a full interval
                self.pauses += 1
                self.log.error("engine_dialling_paused", failures_in_row=self.failures_in_row,
                               engine=result.engine_failure, probe_every_s=self.probe_interval_s)
        elif result.answered_by == "human":
            self.failures_in_row = 0  # the engines served a whole conversation

    def may_dial(self, probe: EngineProbe | None) -> bool:
        """False while paused and the engines have not yet answered a probe."""
        if not self.paused or probe is None:
            return True
        now = time.monotonic()
        if now - self.last_probe < self.probe_interval_s:
            return False
        self.last_probe = now
        problem = probe()
        if problem is not None:
            self.log.warning("engine_probe_failed", problem=problem, paused_s=round(now - self.paused_at, 1))
            return False
        paused_for = now - (self.paused_at or now)
        self.paused_s += paused_for
        self.log.info("engine_dialling_resumed", paused_s=round(paused_for, 1), failures_in_row=self.failures_in_row)
        self.paused_at, self.failures_in_row = None, 0
        return True
