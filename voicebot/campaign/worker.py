"""A campaign worker: takes due jobs from Redis, checks the rules, paces, dials once, records.

Any number of workers (threads, processes, machines) share one campaign. Each attempt has an
idempotency key ``...:attempt:<customer>:<n>`` taken with SET NX before dialling, so no attempt
is ever dialled twice; the outcome, the next step and the ack are written in one MULTI. A job
reclaimed from a dead worker whose attempt key says "dialing" is recorded as interrupted and
retried as the next attempt; one whose key says "done" is only acked.

Redis may go away (restart, failover): a worker then waits and carries on, and the outcome of a
call that ended meanwhile is kept in memory and written once Redis is back. After a restart every
worker's liveness key has lapsed, so absence is trusted only once the server has been up for two
visibility windows: a live worker is never mistaken for a dead one.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

import redis

from voicebot.calling_hours import CallingRules
from voicebot.campaign.bandit import ScriptBandit
from voicebot.campaign.call_timing import avoided_hours, callback_facts, end_of_calling_day, preferred_window
from voicebot.campaign.campaign import make_job
from voicebot.campaign.clock import Clock
from voicebot.campaign.compliance import ComplianceGate
from voicebot.campaign.dialer import CallJob, CallResult, Dialer
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.engine_pause import EnginePause
from voicebot.campaign.heartbeat import REDIS_RETRY_S, WorkerHeartbeat
from voicebot.campaign.hours import calling_rules
from voicebot.campaign.pacing import DEFAULT_WRAP_UP_S, Pacer
from voicebot.campaign.queue import ClaimedJob, JobQueue
from voicebot.campaign.scheduler import next_step
from voicebot.config import CampaignConfig
from voicebot.logs import get_logger
from voicebot.store import keys

PACING_RETRY_S = 30.0
ATTEMPT_TTL_S = 60 * 86400
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
# A worker that died mid-call cannot say whether the customer answered: that attempt keeps
# counting in the frequency cap; any other call that was no conversation is released from it.
INTERRUPTED = "worker died during the call"
# Step outcomes after which a worker waits before the next step: no due job, the campaign paused,
# or its engines failing (engine_pause).
WAITING = ("idle", "paused", "engine_paused", "channels_full")


@dataclass
class WorkerStats:
    dialed: int = 0
    deferred: int = 0
    dropped: int = 0
    paced: int = 0
    skipped: int = 0
    interrupted: int = 0
    redis_outages: int = 0
    engine_pauses: int = 0  # times dialling stopped after engine failures in a row (engine_pause)
    groups_recreated: int = 0  # the job stream's consumer group was gone (NOGROUP) and made again
    steps: dict[str, int] = field(default_factory=dict)


class CampaignWorker:
    def __init__(self, client: redis.Redis, campaign: str, dialer: Dialer, cfg: CampaignConfig, clock: Clock,
                 worker_id: str | None = None, bandit: ScriptBandit | None = None,
                 agent_wrap_up_s: float = DEFAULT_WRAP_UP_S) -> None:
        self.client, self.dialer, self.cfg, self.clock = client, dialer, cfg, clock
        self.ck = keys.CampaignKeys(campaign)
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.queue = JobQueue(client, self.ck, cfg.visibility_timeout_s)
        # supervisor.agent_wrap_up_s: the console's "Agents free" and this dialer count wrap-up alike.
        self.pacer = Pacer(client, self.ck, cfg, wrap_up_s=agent_wrap_up_s)
        self.rules = CallingRules.from_config(cfg)
        self.bandit = bandit or ScriptBandit(client, self.ck, cfg.bandit_min_explore)
        self.dnc = DoNotCallList(client)
        self.gate = ComplianceGate(client, cfg)  # do-not-call, hours, frequency cap: voicebot.campaign.compliance
        self.stats = WorkerStats()
        self.log = get_logger("voicebot.campaign.worker", campaign=campaign, worker=self.worker_id)
        self.engine_pause = EnginePause(cfg.engine_failures_to_pause, cfg.engine_probe_interval_s, self.log)
        self._current_msg: str | None = None
        self.heartbeat = WorkerHeartbeat(client, self.queue, self.worker_id, cfg.visibility_timeout_s, self.log,
                                         lambda: self._current_msg)

    # --- liveness ---------------------------------------------------------------------
    def start_heartbeat(self) -> None:
        """Marks this worker alive and keeps its in-progress job from being reclaimed."""
        self.heartbeat.start()

    def stop_heartbeat(self) -> None:
        self.heartbeat.stop()

    def _redis_unavailable(self, exc: Exception, failures: int) -> float:
        if failures == 0:
            self.stats.redis_outages += 1
            self.log.warning("redis_unavailable", error=str(exc))
        return REDIS_RETRY_S[min(failures, len(REDIS_RETRY_S) - 1)]

    # --- the loop ---------------------------------------------------------------------
    def run_until_idle(self, max_steps: int = 1_000_000) -> WorkerStats:
        """Processes jobs until none is due now (tests and simulations drive the clock)."""
        self.start_heartbeat()
        try:
            for _ in range(max_steps):
                if self.step() in WAITING:
                    break
        finally:
            self.stop_heartbeat()
        return self.stats

    def run(self, stop: threading.Event, poll_s: float = 1.0, exit_when_done: bool = False,
            advance_clock: bool = False) -> WorkerStats:
        """Runs until ``stop`` is set (or the campaign is done, with exit_when_done). With
        ``advance_clock`` (a FakeClock simulation) idle time jumps straight to the next due job."""
        self.start_heartbeat()
        failures = 0
        try:
            while not stop.is_set():
                try:
                    if failures:
                        self.queue.ensure_group()  # a Redis without persistence came back empty
                        self.log.info("redis_back", after_failures=failures)
                        failures = 0
                    if self._run_once(poll_s, exit_when_done, advance_clock, stop):
                        break
                except REDIS_DOWN as exc:
                    stop.wait(self._redis_unavailable(exc, failures))
                    failures += 1
        finally:
            self.stop_heartbeat()
        return self.stats

    def _run_once(self, poll_s: float, exit_when_done: bool, advance_clock: bool, stop: threading.Event) -> bool:
        """One step of ``run``; True when the campaign is done."""
        outcome = self.step()
        if outcome not in WAITING:
            return False
        if exit_when_done and self.queue.empty() and self.client.zcard(self.ck.inflight) == 0:
            self.client.hset(self.ck.meta, "status", "done")
            return True
        next_due = self.queue.next_due()
        if exit_when_done and not advance_clock and next_due is not None and outcome == "idle" \
                and self.client.zcard(self.ck.inflight) == 0 and next_due > end_of_calling_day(
                    self.clock.now(), self.rules, self.cfg.default_timezone):
            # On a real clock, what is left is booked for a later day (callbacks, retries): they stay
            # scheduled for the next run instead of this process waiting overnight.
            self.log.info("until_done_later_calls_left", next_due=round(next_due))
            return True
        if advance_clock and next_due is not None and outcome == "idle":
            self.clock.set(next_due)  # type: ignore[attr-defined]
        else:
            stop.wait(poll_s)
        return False

    def step(self) -> str:
        if self.client.hget(self.ck.meta, "status") == "paused":
            return "paused"
        if not self.engine_pause.may_dial(getattr(self.dialer, "probe_engines", None)):
            return "engine_paused"  # claims nothing: other workers' engines may be fine
        now = self.clock.now()
        self.rules = calling_rules(self.client, self.ck, self.cfg)  # hours may change while calling
        self.queue.promote_due(now)
        if self.pacer.acquire("", now, reserve=False).reason == "channels":
            # Every channel busy: wait here. Taking jobs only to defer them would, with more workers
            # than channels, push the whole queue PACING_RETRY_S ahead again and again while channels
            # that free up meanwhile find nothing due (a soak saw 2-4 of 8 channels in use).
            return "channels_full"
        try:
            claimed = self.queue.claim(self.worker_id)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._recreate_lost_group(exc)
            return "idle"
        if claimed is None:
            return "idle"
        self._current_msg = claimed.msg_id
        try:
            outcome = self._handle(claimed, now)
        finally:
            self._current_msg = None
        self.stats.steps[outcome] = self.stats.steps.get(outcome, 0) + 1
        return outcome

    def _handle(self, claimed: ClaimedJob, now: float) -> str:
        job = claimed.job
        if job is None:
            self._ack_only(claimed.msg_id)
            return "skipped"
        attempt_key = self.ck.attempt(job.customer_id, job.attempt)
        if claimed.reclaimed:
            verdict = self._check_reclaimed(claimed, job, attempt_key)
            if verdict is not None:
                return verdict
        state = self.client.hgetall(self.ck.state(job.customer_id))
        limit = self.cfg.max_attempts + (self.cfg.max_callbacks if job.kind == "callback" else 0)
        # The cap is checked and this call recorded in it in one step (one record per number across
        # every campaign); every way out below that places no call releases the hold again.
        decision = self.gate.may_call(job.phone, now, path=f"campaign_{job.kind}", kind=job.kind, rules=self.rules,
                                      timezone=job.timezone, window=preferred_window(state), avoid=avoided_hours(state),
                                      campaign=self.ck.name,
                                      hold=None if job.attempt > limit else self._hold_id(job))
        if decision.reason == "do_not_call":
            return self._drop(claimed, job, "do_not_call")
        if job.attempt > limit:  # every kind of call has an attempt limit
            return self._drop(claimed, job, "unreachable")
        if not decision.allowed:
            return self._defer(claimed, job, decision.retry_at or now + PACING_RETRY_S, decision.reason)
        attempt_id = f"{job.customer_id}:{job.attempt}"
        pace = self.pacer.acquire(attempt_id, now)
        if not pace.ok:
            self.stats.paced += 1
            self.gate.release(job.phone, decision.hold)
            return self._defer(claimed, job, now + PACING_RETRY_S, f"pacing_{pace.reason}", count=False)
        if not self.client.set(attempt_key, json.dumps({"state": "dialing", "worker": self.worker_id, "at": now}),
                               nx=True, ex=ATTEMPT_TTL_S):
            self.client.zrem(self.ck.inflight, attempt_id)
            self.gate.release(job.phone, decision.hold)
            verdict = self._check_reclaimed(claimed, job, attempt_key)
            return verdict or "skipped"
        variants = [v for v in state.get("variants", "").split(",") if v]
        job.script_variant = self.bandit.choose(job.segment, variants)
        job.customer.update(callback_facts(self.client, job.phone, state, self.rules, self.cfg, now))
        job.cleared = decision  # the voice dialer's place_call sees the gate was asked
        self.client.rpush(self.ck.dials, attempt_id)
        started = self.clock.now()
        try:
            result = self.dialer.dial(job)
        except Exception as exc:  # a broken dialer must not lose the job
            self.log.exception("dial_failed", job=job.job_id)
            result = CallResult("failed", error=f"dialer error: {exc}")
        self._record_durably(claimed, job, result, started, state)
        self.engine_pause.record(result, getattr(self.dialer, "probe_engines", None))
        self.stats.engine_pauses = self.engine_pause.pauses
        self.stats.dialed += 1
        return "dialed"

    def _recreate_lost_group(self, exc: redis.ResponseError) -> None:
        """The job stream or its consumer group is gone (a Redis without persistence restarted, or
        the key was deleted): jobs queued in it are lost. Said loudly, and the group made again so
        jobs scheduled from now on are dialled; silently carrying on (or exiting 0) hid the loss."""
        self.stats.groups_recreated += 1
        self.log.error("job_queue_group_lost", error=str(exc), stream=self.ck.stream,
                       detail="queued jobs were lost with it; group recreated (check Redis persistence: "
                              "voicebot doctor)")
        self.queue.ensure_group()

    def _check_reclaimed(self, claimed: ClaimedJob, job: CallJob, attempt_key: str) -> str | None:
        raw = self.client.get(attempt_key)
        if raw is None:
            return None  # the dead worker never dialled: go ahead
        info = json.loads(raw)
        if info["state"] == "done":
            self._ack_only(claimed.msg_id)
            return "skipped"
        if info["worker"] != self.worker_id and (self.client.exists(keys.worker_alive(info["worker"]))
                                                  or not self._liveness_trusted()):
            return "skipped"  # still being dialled by a live worker; it will ack
        # The worker died during the call: count the attempt as interrupted and move on.
        self.stats.interrupted += 1
        self.log.warning("attempt_interrupted", job=job.job_id, dead_worker=info["worker"])
        state = self.client.hgetall(self.ck.state(job.customer_id))
        self._record(claimed, job, CallResult("failed", error=INTERRUPTED), info["at"], state)
        return "interrupted"

    def _liveness_trusted(self) -> bool:
        """Right after a Redis restart every worker's alive key has lapsed, live ones included."""
        uptime = float(self.client.info("server").get("uptime_in_seconds", 1e9))
        return uptime >= 2 * self.cfg.visibility_timeout_s

    # --- outcomes ------------------------------------------------------------------------
    def _record_durably(self, claimed: ClaimedJob, job: CallJob, result: CallResult, started: float,
                        state: dict) -> None:
        """The call happened: its outcome must reach Redis, however long Redis is away. The write
        is one MULTI, so a retry after a lost reply checks whether it already landed."""
        failures = 0
        while True:
            try:
                if failures:
                    raw = self.client.get(self.ck.attempt(job.customer_id, job.attempt))
                    if raw is not None and json.loads(raw).get("state") == "done":
                        return  # the earlier try landed; its reply was lost
                self._record(claimed, job, result, started, state)
                return
            except REDIS_DOWN as exc:
                time.sleep(self._redis_unavailable(exc, failures))
                failures += 1

    def _hold_id(self, job: CallJob) -> str:
        """This attempt's entry in the number's cap record (unique across campaigns)."""
        return f"{self.ck.name}:{job.customer_id}:{job.attempt}"

    def _ack_only(self, msg_id: str) -> None:
        pipe = self.client.pipeline()
        self.queue.ack(pipe, msg_id)
        pipe.execute()

    def _drop(self, claimed: ClaimedJob, job: CallJob, status: str) -> str:
        pipe = self.client.pipeline()
        pipe.hset(self.ck.state(job.customer_id), mapping={"status": status, "final": "1"})
        self.queue.ack(pipe, claimed.msg_id)
        self.queue.finish(pipe, job.job_id)
        pipe.execute()
        self.stats.dropped += 1
        return "dropped"

    def _defer(self, claimed: ClaimedJob, job: CallJob, at: float, reason: str, count: bool = True) -> str:
        pipe = self.client.pipeline()
        self.queue.schedule(job, at, pipe)
        pipe.hset(self.ck.state(job.customer_id), mapping={"next_at": f"{at:.0f}", "deferred": reason})
        self.queue.ack(pipe, claimed.msg_id)
        pipe.execute()
        if count:
            self.stats.deferred += 1
        return "deferred" if count else "paced"

    def _record(self, claimed: ClaimedJob, job: CallJob, result: CallResult, started: float, state: dict) -> None:
        now = self.clock.now()
        step = next_step(job, result, now, self.rules, self.cfg, preferred_window(state), int(state.get("callbacks", 0)),
                         started, avoided_hours(state))
        attempt_id = f"{job.customer_id}:{job.attempt}"
        record = {"campaign": self.ck.name, "job_id": job.job_id, "customer_id": job.customer_id,
                  "attempt": job.attempt, "kind": job.kind, "segment": job.segment, "variant": job.script_variant,
                  "offer": job.offer, "started": started, "ended": now, "worker": self.worker_id,
                  "next": step.kind, "status": step.status, "result": result.to_dict()}
        pipe = self.client.pipeline()  # MULTI: all of it or none of it
        pipe.xadd(self.ck.results, {"json": json.dumps(record, ensure_ascii=False)})
        pipe.set(self.ck.attempt(job.customer_id, job.attempt),
                 json.dumps({"state": "done", "worker": self.worker_id, "answered_by": result.answered_by}),
                 ex=ATTEMPT_TTL_S)
        fields = {"status": step.status, "attempts": job.attempt, "last_answered_by": result.answered_by,
                  "last_grade": result.intent_grade or "", "last_call_at": f"{now:.0f}"}
        if step.kind == "callback":
            fields["callbacks"] = int(state.get("callbacks", 0)) + 1
        if step.kind == "done":
            fields["final"] = "1"
        else:
            nxt = make_job(self.ck.name, {"id": job.customer_id, "phone": job.phone, "locale": job.locale,
                                          "timezone": job.timezone, **job.customer}, state, job.attempt + 1, step.kind)
            self.queue.schedule(nxt, step.at, pipe)
            fields["next_at"] = f"{step.at:.0f}"
        pipe.hset(self.ck.state(job.customer_id), mapping=fields)
        if result.do_not_call or result.complaint:
            self.dnc.add_in(pipe, job.phone, "complaint" if result.complaint else "stop_calling",
                            by=f"call:{self.ck.name}/{job.job_id}", call_id=result.call_id, at=now)
        if result.answered_by != "human" and result.error != INTERRUPTED:  # the cap counts conversations only
            self.gate.release(job.phone, self._hold_id(job), pipe)
        if result.answered_by == "human":
            pipe.hincrby(self.ck.meta, "n_human", 1)
            if result.ab_trial and result.variant in ("", job.script_variant):
                # A trial only once the pitch was spoken, and only for the variant actually spoken.
                self.bandit.record(job.segment, job.script_variant, result.rewarded(self.cfg.bandit_reward), pipe)
            elif result.ab_trial:
                self.log.warning("variant_mismatch", chosen=job.script_variant, spoken=result.variant)
            if result.success and not result.converted and step.kind == "done":
                follow_s = float(state.get("follow_up_s", 86400))
                pipe.zadd(self.ck.followups, {f"{job.customer_id}:{state.get('follow_up_by', 'bot')}": now + follow_s})
        if result.transferred:
            pipe.hincrby(self.ck.meta, "n_transfers", 1)
            # Keyed by the call id, as the call's event sink keys it: one handover, one busy agent
            # (a bridged one in wrap-up, a REFER handover for its handle time).
            self.pacer.note_transfer(pipe, result.call_id or attempt_id, now, bridged=result.bridged)
        pipe.hincrby(self.ck.meta, "n_calls", 1)
        if result.unanswered_questions:
            from voicebot.dialogue.faq_misses import record_unanswered

            record_unanswered(pipe, self.ck.name, result.unanswered_questions)
        self.pacer.release(pipe, attempt_id)
        self.queue.ack(pipe, claimed.msg_id)
        self.queue.finish(pipe, job.job_id)
        pipe.execute()
        self.log.info("call_recorded", job=job.job_id, answered_by=result.answered_by, grade=result.intent_grade,
                      next=step.kind, status=step.status)

