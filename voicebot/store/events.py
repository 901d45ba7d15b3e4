"""Call events in Redis: a capped stream for history, a hash per live call, a set of live calls.

Keys: ``voicebot:events`` (stream, field ``json``), ``voicebot:call:<id>`` (hash: the call's
``LiveCall`` row, see live_state.py, plus ``last_event``/``updated``/``user_turns``; TTL),
``voicebot:calls:live`` (set). The sink never raises into, nor blocks, the voice loop: events
are written from a background thread; a Redis failure is counted in ``errors`` and logged.
A live call's hash lives ``live_ttl_s`` and the sink refreshes it every ``heartbeat_s`` while the
call lasts, so a silent call stays on the board and a dead worker's calls leave it within the TTL.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis

from voicebot.logs import get_logger
from voicebot.session.events import CallEvent
from voicebot.store.live_state import LiveCall, apply_event, row_to_hash

EVENTS_STREAM = "voicebot:events"
LIVE_CALLS = "voicebot:calls:live"
_log = get_logger("voicebot.store.events")


def call_key(call_id: str) -> str:
    return f"voicebot:call:{call_id}"


class RedisEventSink:
    """Queues events and writes them from its own thread, in order and in batches, so the voice
    loop never waits on Redis. A full buffer or a Redis error is counted, logged, and survived."""

    def __init__(self, client: redis.Redis, maxlen: int = 100_000, live_ttl_s: float = 120,
                 ended_ttl_s: int = 600, worker: str = "", buffer: int = 10_000,
                 heartbeat_s: float | None = None) -> None:
        if live_ttl_s <= 0 or (heartbeat_s is not None and not 0 < heartbeat_s < live_ttl_s):
            raise ValueError(f"live_ttl_s ({live_ttl_s}) must be positive and above heartbeat_s ({heartbeat_s})")
        self.client, self.maxlen, self.worker = client, maxlen, worker
        self.live_ttl_s, self.ended_ttl_s = live_ttl_s, ended_ttl_s
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else live_ttl_s / 4
        self._rows: dict[str, LiveCall] = {}  # this worker's live calls (only the drain thread touches it)
        self.errors = 0  # events lost to Redis errors
        self.dropped = 0  # events lost to a full buffer
        self.published = 0
        self._queue: queue.Queue[CallEvent | None] = queue.Queue(maxsize=buffer)
        self._thread = threading.Thread(target=self._drain, name="redis-event-sink", daemon=True)
        self._thread.start()

    def __call__(self, event: CallEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                _log.warning("redis_event_sink_full", dropped=self.dropped)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Waits until every queued event has been written (or failed); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def close(self, timeout_s: float = 5.0) -> None:
        self.flush(timeout_s)
        self._queue.put(None)
        self._thread.join(timeout_s)

    def _drain(self) -> None:
        next_beat = time.monotonic() + self.heartbeat_s
        while True:
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + self.heartbeat_s
                self._heartbeat()
            try:
                first = self._queue.get(timeout=max(0.01, next_beat - time.monotonic()))
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < 200:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            events = [e for e in batch if e is not None]
            try:
                if events:
                    self._write(events)
                    self.published += len(events)
            except (redis.RedisError, OSError) as exc:
                self.errors += len(events)
                _log.warning("redis_event_sink_error", error=str(exc), errors=self.errors)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if len(events) < len(batch):
                return  # close() sent None

    def _heartbeat(self) -> None:
        if not self._rows:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for call_id in self._rows:
                pipe.pexpire(call_key(call_id), int(self.live_ttl_s * 1000))
            pipe.execute()
        except (redis.RedisError, OSError) as exc:
            _log.warning("redis_event_sink_heartbeat_error", error=str(exc))

    def _known_row(self, event: CallEvent) -> LiveCall:
        """A call this sink has not seen start (another sink in the process, or this one restarted): go on
        from the row in Redis rather than overwrite it with an empty one."""
        if event.type != "call_started":
            from voicebot.supervisor.records import BadRecord, clean_live_row

            flat = self.client.hgetall(call_key(event.call_id))
            if flat:
                try:
                    return clean_live_row({**flat, "call_id": event.call_id})
                except BadRecord as exc:
                    _log.warning("redis_event_sink_bad_row", call_id=event.call_id, error=str(exc))
        return LiveCall(event.call_id)

    def _write(self, events: list[CallEvent]) -> None:
        # MULTI: an event and its call's row change together, so a console snapshot (which reads the
        # rows and the stream's last id atomically) never counts an event twice or misses one.
        pipe = self.client.pipeline(transaction=True)
        for event in events:
            record = masked_record(event)
            if self.worker:
                record.setdefault("worker", self.worker)
            pipe.xadd(EVENTS_STREAM, {"json": json.dumps(record, ensure_ascii=False, default=str)},
                      maxlen=self.maxlen, approximate=True)
            key = call_key(event.call_id)
            row = self._rows.get(event.call_id) or self._known_row(event)
            apply_event(row, record)
            live: dict[str, Any] = {**row_to_hash(row), "last_event": event.type, "updated": event.ts}
            if event.type == "call_started":
                pipe.sadd(LIVE_CALLS, event.call_id)
            if event.type == "user_turn":
                pipe.hincrby(key, "user_turns", 1)
            if event.type == "call_ended":
                self._rows.pop(event.call_id, None)
                pipe.srem(LIVE_CALLS, event.call_id)
            else:
                self._rows[event.call_id] = row
            pipe.hset(key, mapping=live)
            pipe.pexpire(key, int((self.ended_ttl_s if event.type == "call_ended" else self.live_ttl_s) * 1000))
        pipe.execute()


def trim_event_stream(client: redis.Redis, retention_days: int, now: float | None = None) -> int:
    """Retention for the event stream: entries older than ``retention_days`` go (XTRIM MINID; the
    stream id is the time in ms). 0 keeps everything (the sink's MAXLEN still bounds it). Returns
    how many entries were deleted."""
    if retention_days <= 0:
        return 0
    cutoff_ms = int(((time.time() if now is None else now) - retention_days * 86400) * 1000)
    return int(client.xtrim(EVENTS_STREAM, minid=f"{cutoff_ms}-0", approximate=False))


def masked_record(event: CallEvent) -> dict[str, Any]:
    """The event as stored in Redis: what was said (``text`` of turns, partials, whispers, and the
    outcome's unanswered questions) masked by the one rule, so the stream and the live hashes never
    hold a number, ID or card; identifiers and the call's own number fields stay for supervisors."""
    from voicebot.masking import mask_text, mask_value

    record = event.as_dict()
    if isinstance(record.get("text"), str):
        record["text"] = mask_text(record["text"])
    outcome = record.get("outcome")
    if isinstance(outcome, dict) and outcome.get("unanswered_questions"):
        record["outcome"] = {**outcome, "unanswered_questions": mask_value(outcome["unanswered_questions"])}
    return record


# The live set, each live call's hash and the stream's last id, atomically (a script runs alone).
_SNAPSHOT = """
local ids = redis.call('SMEMBERS', KEYS[1])
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = {id, redis.call('HGETALL', ARGV[1] .. id)}
end
return {last, out}
"""


@dataclass
class StreamEvent:
    id: str
    data: dict[str, Any]


class RedisEventReader:
    """What the supervisor console reads: live calls, one call's state, and the event tail."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def live_calls(self) -> list[dict[str, Any]]:
        ids = sorted(self.client.smembers(LIVE_CALLS))
        pipe = self.client.pipeline(transaction=False)
        for call_id in ids:
            pipe.hgetall(call_key(call_id))
        calls = []
        for call_id, state in zip(ids, pipe.execute()):
            if state:  # hash expired = a call that never ended cleanly; drop it from the set
                calls.append({"call_id": call_id, **state})
            else:
                self.client.srem(LIVE_CALLS, call_id)
        return calls

    def live_snapshot(self) -> tuple[list[dict[str, Any]], str]:
        """(the hash of every live call, the stream's last id), read in one atomic step: an event
        after that id is not yet in any hash, and every event up to it is."""
        last, hashes = self.client.eval(_SNAPSHOT, 2, LIVE_CALLS, EVENTS_STREAM, call_key(""))
        calls = []
        for call_id, flat in hashes:
            if flat:
                calls.append({"call_id": call_id, **dict(zip(flat[::2], flat[1::2]))})
            else:  # hash expired: a call whose worker died or never sent call_ended
                self.client.srem(LIVE_CALLS, call_id)
        return calls, (last[0][0] if last else "0-0")

    def call_state(self, call_id: str) -> dict[str, Any]:
        return self.client.hgetall(call_key(call_id))

    def read(self, after_id: str = "0", count: int = 100, block_ms: int | None = None) -> list[StreamEvent]:
        """Events after ``after_id`` ("0" = from the start, "$" = only new ones, with block_ms)."""
        reply = self.client.xread({EVENTS_STREAM: after_id}, count=count, block=block_ms)
        out = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                out.append(StreamEvent(entry_id, json.loads(fields["json"])))
        return out

    def recent(self, count: int = 50, call_id: str | None = None) -> list[StreamEvent]:
        entries = self.client.xrevrange(EVENTS_STREAM, count=count if call_id is None else count * 20)
        events = [StreamEvent(i, json.loads(f["json"])) for i, f in entries]
        if call_id is not None:
            events = [e for e in events if e.data.get("call_id") == call_id][:count]
        return list(reversed(events))
