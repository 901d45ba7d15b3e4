"""Injectable time: everything in campaigns asks a Clock, so tests can run days in milliseconds."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """Stands still until told to move; shared safely between worker threads."""

    def __init__(self, start: float | datetime) -> None:
        self._t = start.timestamp() if isinstance(start, datetime) else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds

    def set(self, t: float) -> None:
        with self._lock:
            self._t = max(self._t, t)  # never goes backwards


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)
