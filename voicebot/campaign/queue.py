"""A campaign's call jobs in Redis: a due-time sorted set feeding a stream read by a consumer group.

Jobs wait in ``scheduled`` (score = due time) and are moved into the stream when due (atomically,
so two workers never move one job twice). Workers read the stream as one consumer group
(at-least-once); an entry not acked within the visibility timeout (its worker died) is taken
over by another worker with XAUTOCLAIM. Idempotency of the call itself is the worker's job.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from voicebot.campaign.dialer import CallJob
from voicebot.store.keys import CampaignKeys

_PROMOTE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('XADD', KEYS[2], '*', 'job', id)
  redis.call('ZREM', KEYS[1], id)
end
return #ids
"""


@dataclass
class ClaimedJob:
    msg_id: str
    job_id: str
    job: CallJob | None  # None if the job record is gone (already finished)
    reclaimed: bool


class JobQueue:
    def __init__(self, client: redis.Redis, ck: CampaignKeys, visibility_timeout_s: float = 120.0) -> None:
        self.client, self.ck = client, ck
        self.visibility_ms = max(1, int(visibility_timeout_s * 1000))
        self._promote = client.register_script(_PROMOTE)
        self.ensure_group()

    def ensure_group(self) -> None:
        try:
            self.client.xgroup_create(self.ck.stream, self.ck.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def schedule(self, job: CallJob, due: float, pipe: redis.client.Pipeline | None = None) -> None:
        target = pipe if pipe is not None else self.client.pipeline()
        job.due = due
        target.hset(self.ck.jobs, job.job_id, job.to_json())
        target.zadd(self.ck.scheduled, {job.job_id: due})
        if pipe is None:
            target.execute()

    def promote_due(self, now: float, limit: int = 200) -> int:
        return int(self._promote(keys=[self.ck.scheduled, self.ck.stream], args=[now, limit]))

    def claim(self, consumer: str, block_ms: int | None = None) -> ClaimedJob | None:
        """A stale entry of a dead worker first, else a new one."""
        _next, entries, *_deleted = self.client.xautoclaim(
            self.ck.stream, self.ck.group, consumer, min_idle_time=self.visibility_ms, start_id="0-0", count=1)
        reclaimed = bool(entries)
        if not entries:
            reply = self.client.xreadgroup(self.ck.group, consumer, {self.ck.stream: ">"}, count=1, block=block_ms)
            entries = reply[0][1] if reply else []
        for msg_id, fields in entries:
            if not fields:  # entry deleted after delivery
                self.client.xack(self.ck.stream, self.ck.group, msg_id)
                continue
            job_id = fields["job"]
            raw = self.client.hget(self.ck.jobs, job_id)
            return ClaimedJob(msg_id, job_id, CallJob.from_json(raw) if raw else None, reclaimed)
        return None

    def touch(self, consumer: str, msg_id: str) -> None:
        """Resets the entry's idle time so a long call is not reclaimed from a live worker."""
        self.client.xclaim(self.ck.stream, self.ck.group, consumer, 0, [msg_id], justid=True)

    def ack(self, pipe: redis.client.Pipeline, msg_id: str) -> None:
        pipe.xack(self.ck.stream, self.ck.group, msg_id)
        pipe.xdel(self.ck.stream, msg_id)

    def finish(self, pipe: redis.client.Pipeline, job_id: str) -> None:
        pipe.hdel(self.ck.jobs, job_id)

    def next_due(self) -> float | None:
        first = self.client.zrange(self.ck.scheduled, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    def counts(self) -> dict[str, int]:
        pending = self.client.xpending(self.ck.stream, self.ck.group)["pending"]
        return {"scheduled": int(self.client.zcard(self.ck.scheduled)),
                "queued": int(self.client.xlen(self.ck.stream)) - int(pending), "pending": int(pending)}

    def empty(self) -> bool:
        return self.client.zcard(self.ck.scheduled) == 0 and self.client.xlen(self.ck.stream) == 0
