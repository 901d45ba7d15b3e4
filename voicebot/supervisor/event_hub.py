"""One reader of the call-event stream per console process, fanned out to every open live page.

Each browser stream used to block a worker thread in its own XREAD: a few dozen tabs exhausted the
thread pool and every page stalled. Here one task tails ``voicebot:events`` (one thread blocked at
most ``BLOCK_MS``) and hands validated events to per-subscriber queues; a subscriber that does not
keep up is dropped (its browser reconnects and gets a fresh snapshot).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import redis

from voicebot.logs import get_logger
from voicebot.store.events import EVENTS_STREAM
from voicebot.store.records import BadRecord, log_skipped, parse_event

_log = get_logger("voicebot.console.hub")
BLOCK_MS = 1000
QUEUE_SIZE = 2000
OVERFLOW = object()  # put in a subscriber's queue when it fell behind


@dataclass(frozen=True)
class HubEvent:
    id: str
    data: dict[str, Any]


def id_after(a: str, b: str) -> bool:
    """Stream id ``a`` comes after ``b``."""
    def key(x: str) -> tuple[int, int]:
        ms, _, seq = x.partition("-")
        return int(ms or 0), int(seq or 0)
    return key(a) > key(b)


class EventHub:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.subscribers: set[asyncio.Queue] = set()
        self._task: asyncio.Task | None = None
        self._last_id = "$"

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(queue)
        if self._task is None or self._task.done():
            self._last_id = self._current_last_id()
            self._task = asyncio.get_running_loop().create_task(self._run())
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)

    def _current_last_id(self) -> str:
        entries = self.client.xrevrange(EVENTS_STREAM, count=1)
        return entries[0][0] if entries else "0-0"

    def _read(self) -> list[tuple[str, dict]]:
        reply = self.client.xread({EVENTS_STREAM: self._last_id}, count=500, block=BLOCK_MS)
        return [entry for _stream, entries in reply or [] for entry in entries]

    async def _run(self) -> None:
        while self.subscribers:
            try:
                entries = await asyncio.to_thread(self._read)
            except redis.RedisError as exc:
                _log.warning("live_stream_redis_error", error=str(exc))
                await asyncio.sleep(1)
                continue
            for entry_id, fields in entries:
                self._last_id = entry_id
                try:
                    event = parse_event(fields.get("json"))
                except BadRecord as exc:
                    log_skipped("event", entry_id, exc)
                    continue
                for queue in list(self.subscribers):
                    try:
                        queue.put_nowait(HubEvent(entry_id, event))
                    except asyncio.QueueFull:
                        self.subscribers.discard(queue)
                        _drain_and_mark(queue)


def _drain_and_mark(queue: asyncio.Queue) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(OVERFLOW)
