"""A campaign worker's liveness: a key that says it is alive, and its in-progress job kept from
being reclaimed by another worker while the call lasts (both renewed every third of the visibility
timeout). While Redis is away it beats again every 0.1 s, with one warning per outage and one line
when it is back: a warning per retry flooded the log at 35 lines a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from voicebot.campaign.queue import JobQueue
from voicebot.store import keys

REDIS_RETRY_S = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # waits while Redis is unreachable, then the last one


class WorkerHeartbeat:
    def __init__(self, client: redis.Redis, queue: JobQueue, worker_id: str, visibility_timeout_s: float, log: Any,
                 current_msg: Callable[[], str | None]) -> None:
        self.client, self.queue, self.worker_id, self.log = client, queue, worker_id, log
        self.visibility_timeout_s = visibility_timeout_s
        self.current_msg = current_msg  # the stream entry of the job being called, if any
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self.beat()
        self._thread = threading.Thread(target=self._loop, name=f"hb-{self.worker_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.client.delete(keys.worker_alive(self.worker_id))

    def beat(self) -> None:
        self.client.set(keys.worker_alive(self.worker_id), "1", px=int(self.visibility_timeout_s * 1000))
        msg = self.current_msg()
        if msg is not None:
            self.queue.touch(self.worker_id, msg)

    def _loop(self) -> None:
        every = self.visibility_timeout_s / 3
        wait, down_since = every, None
        while not self._stop.wait(wait):
            try:
                self.beat()
            except redis.RedisError as exc:
                if down_since is None:  # once per outage
                    down_since = time.monotonic()
                    self.log.warning("heartbeat_failed", error=str(exc), detail="retrying until Redis is back")
                wait = min(REDIS_RETRY_S[0], every)  # beat again as soon as Redis is back
                continue
            if down_since is not None:
                self.log.info("heartbeat_recovered", outage_s=round(time.monotonic() - down_since, 1))
                down_since = None
            wait = every
