"""Whether this bot process can write its recordings: the readiness probe's ``degraded`` part.

A recorder that cannot open or write (full disk, read-only mount) lets the call go on unrecorded
(``CallSession``); this says so process-wide until a later recording is written whole. The state is
the last recording's fate, not a count: one good recording after the disk is freed clears it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from voicebot.logs import get_logger

log = get_logger("voicebot.recording")


@dataclass
class RecordingHealth:
    error: str | None = None  # why the last recording failed; None while recordings are written
    failing_since: float | None = None  # time.time() of the first failure in a row
    failures: int = 0  # recordings failed in a row
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def degraded(self) -> bool:
        return self.error is not None

    def failed(self, error: str) -> None:
        with self._lock:
            if self.error is None:
                self.failing_since = time.time()
            self.error, self.failures = error, self.failures + 1

    def succeeded(self) -> None:
        """A recording was written whole: recording works again."""
        with self._lock:
            if self.error is None:
                return
            log.info("recording_recovered", failed_recordings=self.failures,
                     failing_s=round(time.time() - (self.failing_since or time.time()), 1))
            self.error, self.failing_since, self.failures = None, None, 0

    def detail(self) -> dict[str, object]:
        """For /readyz: empty while recordings are written."""
        with self._lock:
            if self.error is None:
                return {}
            return {"recording_error": self.error, "recording_failing_since": self.failing_since,
                    "recordings_failed": self.failures}
