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
    """At most ``limit`` actions per ``window_s`` for one key (a fixed window)."""
    name: str
    limit: int
    window_s: int = 60

    def spend(self, client: redis.Redis, key: str) -> int:
        """0 when allowed, else the seconds until the window ends."""
        window = int(time.time() // self.window_s)
        rkey = f"voicebot:console:rate:{self.name}:{key}:{window}"
        pipe = client.pipeline(transaction=True)
        pipe.incr(rkey)
        pipe.expire(rkey, self.window_s * 2)
        used = pipe.execute()[0]
        if used <= self.limit:
            return 0
        return max(1, int(self.window_s - time.time() % self.window_s))


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
