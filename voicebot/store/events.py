"""Call events in Redis: a capped stream for history, a hash per live call, a set of live calls.

Keys: ``voicebot:events`` (stream, field ``json``), ``voicebot:call:<id>`` (hash: the call's
``LiveCall`` row, see live_state.py, plus ``last_event``/``updated``/``user_turns``; TTL),
``voicebot:calls:live`` (set). The sink never raises into, nor blocks, the voice loop: events
are written from a background thread; while Redis is away they wait in a bounded local backlog.
"""

from __future__ import annotations

import copy
import json
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from itertools import islice
from typing import Any

import redis

from voicebot.call_events import CallEvent
from voicebot.logs import get_logger
from voicebot.masking import mask_text, mask_value
from voicebot.store import keys
from voicebot.store.live_state import LiveCall, agent_after_call, apply_event, row_to_hash
from voicebot.store.records import BadRecord, clean_live_row

EVENTS_STREAM = "voicebot:events"
LIVE_CALLS = "voicebot:calls:live"
# A live call's hash lives this long unless its process renews it (RedisEventSink): a call whose
# end was never written (the process died) leaves the console within a minute.
LIVE_TTL_S = 60
RETRY_S = 1.0  # a Redis that is away is tried again this often
_log = get_logger("voicebot.store.events")


def call_key(call_id: str) -> str:
    return f"voicebot:call:{call_id}"


class RedisEventSink:
    """Queues events and writes them from its own thread, in order and in batches, so the voice
    loop never waits on Redis.

    While Redis is away (restart, failover) events are kept in a local backlog, bounded by
    ``buffer`` (the oldest go first, counted in ``dropped``), and written in their order once it is
    back: the console's history and live state catch up instead of losing the outage. One warning
    when an outage starts and one line when it ends, however long it lasts.

    Each call's state is one ``LiveCall`` row, folded from its events here and written whole to
    the call's hash with each event (one MULTI with the stream entry), so the console reads a
    call's state directly instead of replaying a window of the stream.

    Live calls are leased: each live call's hash lives ``live_ttl_s`` and this sink renews it every
    ``heartbeat_s`` (a quarter of that by default) while the call is up in this process: a silent
    call stays on the board, and one whose ``call_ended`` never arrives (the process died, the
    backlog overflowed) leaves the console within ``live_ttl_s``.
    """

    def __init__(self, client: redis.Redis, maxlen: int = 100_000, live_ttl_s: float = LIVE_TTL_S,
                 ended_ttl_s: int = 600, worker: str = "", buffer: int = 10_000,
                 heartbeat_s: float | None = None) -> None:
        if live_ttl_s <= 0 or (heartbeat_s is not None and not 0 < heartbeat_s < live_ttl_s):
            raise ValueError(f"live_ttl_s ({live_ttl_s}) must be positive and above heartbeat_s ({heartbeat_s})")
        self.client, self.maxlen, self.worker = client, maxlen, worker
        self.live_ttl_s, self.ended_ttl_s = live_ttl_s, ended_ttl_s
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else live_ttl_s / 4
        self._rows: dict[str, LiveCall] = {}  # this worker's live calls (only the drain thread touches it)
        self.errors = 0  # failed writes (each retried from the backlog)
        self.dropped = 0  # events lost: the queue or the backlog was full
        self.published = 0
        self._queue: queue.Queue[CallEvent | None] = queue.Queue(maxsize=buffer)
        self._backlog: deque[CallEvent] = deque()
        self._backlog_max = buffer
        self._down_since: float | None = None  # time.monotonic() the current outage began
        self._retry_at = 0.0
        self._live: set[str] = set()  # calls up in this process: their leases are renewed
        self._live_lock = threading.Lock()
        self._renewed_at = time.monotonic()
        self._thread = threading.Thread(target=self._drain, name="redis-event-sink", daemon=True)
        self._thread.start()

    def __call__(self, event: CallEvent) -> None:
        with self._live_lock:  # here, not after the write: a lease outlives a Redis outage
            if event.type == "call_started":
                self._live.add(event.call_id)
            elif event.type == "call_ended":
                self._live.discard(event.call_id)
        try:
            self._queue.put_nowait(event)
        except queue.Full:  # the writer is stuck (a Redis connect timing out): the oldest event goes
            try:
                self._queue.get_nowait()
                self._queue.task_done()
            except queue.Empty:
                pass
            self._lost(1, "redis_event_sink_full")
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                self._lost(1, "redis_event_sink_full")

    @property
    def backlog(self) -> int:
        """Events waiting for Redis to come back."""
        return len(self._backlog)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Waits until every queued event has been written; False on timeout (e.g. Redis is away
        and events wait in the backlog)."""
        deadline = time.monotonic() + timeout_s
        while (self._queue.unfinished_tasks or self._backlog) and time.monotonic() < deadline:
            time.sleep(0.005)
        return not (self._queue.unfinished_tasks or self._backlog)

    def close(self, timeout_s: float = 5.0) -> None:
        self.flush(timeout_s)
        self._queue.put(None)
        self._thread.join(timeout_s)

    def _drain(self) -> None:
        closing = False
        while not closing:
            wait = max(0.0, (self._retry_at if self._backlog else self._renewed_at + self.heartbeat_s)
                       - time.monotonic())
            batch: list[CallEvent | None] = []
            try:
                batch.append(self._queue.get(timeout=wait))
                while len(batch) < 200:
                    batch.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            closing = None in batch
            self._backlog.extend(e for e in batch if e is not None)
            overflow = len(self._backlog) - self._backlog_max
            if overflow > 0:  # the oldest go: the newest say where each call is now
                for _ in range(overflow):
                    self._backlog.popleft()
                self._lost(overflow, "redis_event_backlog_full")
            for _ in batch:
                self._queue.task_done()
            self._write_backlog()
            self._renew_leases()

    def _write_backlog(self) -> None:
        if not self._backlog or time.monotonic() < self._retry_at:
            return
        replayed = 0
        while self._backlog:
            chunk = list(islice(self._backlog, 200))
            try:
                self._write(chunk)
            except (redis.RedisError, OSError) as exc:
                self._unavailable(exc)
                return
            for _ in chunk:
                self._backlog.popleft()
            self.published += len(chunk)
            replayed += len(chunk)
        if self._down_since is not None:
            _log.info("redis_event_sink_recovered", replayed=replayed, dropped=self.dropped,
                      outage_s=round(time.monotonic() - self._down_since, 1))
            self._down_since = None

    def _unavailable(self, exc: Exception) -> None:
        self.errors += 1
        self._retry_at = time.monotonic() + RETRY_S
        if self._down_since is None:  # once per outage: a retry a second must not flood the log
            self._down_since = time.monotonic()
            _log.warning("redis_event_sink_unavailable", error=str(exc), backlog=len(self._backlog),
                         detail="events are kept and written in order when Redis is back")

    def _renew_leases(self) -> None:
        now = time.monotonic()
        if now - self._renewed_at < self.heartbeat_s or self._down_since is not None:
            return
        self._renewed_at = now
        with self._live_lock:
            live = list(self._live)
        if not live:
            return
        pipe = self.client.pipeline(transaction=False)
        for call_id in live:
            pipe.sadd(LIVE_CALLS, call_id)  # back on the console if a long outage let its lease lapse
            pipe.pexpire(call_key(call_id), int(self.live_ttl_s * 1000))
        try:
            pipe.execute()
        except (redis.RedisError, OSError) as exc:
            self._unavailable(exc)

    def _lost(self, n: int, why: str) -> None:
        before, self.dropped = self.dropped, self.dropped + n
        if before == 0 or before // 1000 != self.dropped // 1000:
            _log.warning(why, dropped=self.dropped)

    def _known_row(self, event: CallEvent) -> LiveCall:
        """A call this sink has not seen start (another sink in the process, or this one restarted): go on
        from the row in Redis rather than overwrite it with an empty one."""
        if event.type != "call_started":
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
        staged: dict[str, LiveCall] = {}  # rows as they will be once this batch is written
        for event in events:
            record = masked_record(event)
            if self.worker:
                record.setdefault("worker", self.worker)
            pipe.xadd(EVENTS_STREAM, {"json": json.dumps(record, ensure_ascii=False, default=str)},
                      maxlen=self.maxlen, approximate=True)
            key = call_key(event.call_id)
            # Folded on a copy: a batch that fails is written again from the backlog, and must not
            # be folded into the row twice.
            row = staged.get(event.call_id) or copy.deepcopy(self._rows.get(event.call_id)) or self._known_row(event)
            was_with_agent = row.with_agent
            apply_event(row, record)
            if event.type == "call_ended":
                _note_agent(pipe, event.call_id, agent_after_call(was_with_agent, row.outcome), event.ts)
            live: dict[str, Any] = {**row_to_hash(row), "last_event": event.type, "updated": event.ts}
            if event.type == "call_started":
                pipe.sadd(LIVE_CALLS, event.call_id)
            if event.type == "user_turn":
                pipe.hincrby(key, "user_turns", 1)
            if event.type == "call_ended":
                pipe.srem(LIVE_CALLS, event.call_id)
            staged[event.call_id] = row
            pipe.hset(key, mapping=live)
            pipe.pexpire(key, int((self.ended_ttl_s if event.type == "call_ended" else self.live_ttl_s) * 1000))
        pipe.execute()
        for call_id, row in staged.items():
            if not row.live:
                self._rows.pop(call_id, None)
            else:
                self._rows[call_id] = row


def _note_agent(pipe: redis.client.Pipeline, call_id: str, after: str | None, ts: float) -> None:
    """The agent a call ended with stays busy beyond the call's row: in the same MULTI as the row's
    end, so the wallboard never sees the agent free in between."""
    key = {"handover": keys.AGENT_TRANSFERS, "wrap_up": keys.AGENTS_WRAP_UP}.get(after or "")
    if key:
        pipe.zadd(key, {call_id: ts})
        pipe.zremrangebyscore(key, "-inf", ts - 86400)  # no reader looks back further than a day


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
