"""Per-session limits on what one session can do often: posting QA comments (a rate, in Redis, so it
holds across console processes) and open listen-live sockets (a count, in this process: each socket
holds Redis connections here)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import redis

COMMENTS_PER_MINUTE = 30
LISTEN_SOCKETS_PER_SESSION = 4
# WebSocket close code for "too many" (4000-4999 are the application's; 4429 mirrors HTTP 429).
CLOSE_TOO_MANY = 4429


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` actions in any ``window_s`` for one key: a sliding window, estimated from this
    window's count and the last one's weighted by how much of it still lies within ``window_s``. A
    fixed window would let twice the limit through around its edge (and reset a burst halfway)."""
    name: str
    limit: int
    window_s: int = 60

    def spend(self, client: redis.Redis, key: str, now: float | None = None) -> int:
        """0 when allowed, else the seconds until the window ends."""
        now = time.time() if now is None else now
        window, into = divmod(now, self.window_s)
        base = f"voicebot:console:rate:{self.name}:{key}:"
        pipe = client.pipeline(transaction=True)
        pipe.incr(f"{base}{int(window)}")
        pipe.expire(f"{base}{int(window)}", self.window_s * 2)
        pipe.get(f"{base}{int(window) - 1}")
        used, _, before = pipe.execute()
        if used + int(before or 0) * (1 - into / self.window_s) <= self.limit:
            return 0
        return max(1, int(self.window_s - into))


COMMENTS = RateLimit("comment", COMMENTS_PER_MINUTE)


class SocketLimits:
    """Open sockets per session, at most ``per_session``."""

    def __init__(self, per_session: int = LISTEN_SOCKETS_PER_SESSION) -> None:
        self.per_session = per_session
        self.open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, key: str) -> bool:
        with self._lock:
            if self.open[key] >= self.per_session:
                return False
            self.open[key] += 1
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self.open[key] -= 1
            if self.open[key] <= 0:
                del self.open[key]
