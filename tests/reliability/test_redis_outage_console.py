"""Issue #20 item 8 and item 6's NOGROUP: what a Redis outage left behind on the console and in the
log. A private redis-server killed with SIGKILL and restarted, the real event sink, reader and
campaign worker.

* call events during the outage are kept and written in order once Redis is back;
* ghost "live" calls: a call whose end was never written leaves the console within the lease;
* one warning per outage and one recovery line (the log had 35 lines a second);
* a worker whose job stream's group is gone says so loudly and recreates it; `campaign run` with a
  crashed channel exits non-zero."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest
import redis

from voicebot.campaign.clock import FakeClock
from voicebot.campaign.dialer import CallJob
from voicebot.campaign.queue import JobQueue
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig
from voicebot.session.events import CallEvent
from voicebot.store.events import LIVE_CALLS, RedisEventReader, RedisEventSink
from voicebot.store.redis_server import PrivateRedis

SHANGHAI_11 = 1772506800.0  # 2026-03-03 11:00 Asia/Shanghai


@pytest.fixture
def own_redis():
    """A redis-server of this test's own, to kill (the session's is shared)."""
    server = PrivateRedis(Path(tempfile.mkdtemp(prefix="vb-out-")))
    server.start()
    yield server
    server.stop()


def kill(server: PrivateRedis) -> None:
    os.kill(int(server.pid_path.read_text()), signal.SIGKILL)
    probe = server.client()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            probe.ping()
        except redis.ConnectionError:
            return
        time.sleep(0.02)
    raise AssertionError("redis-server did not die")


def test_events_of_an_outage_are_written_in_order_when_redis_is_back(own_redis, log_events):
    """The repro: calls went on for 8 s with Redis down; their events were never replayed and the
    ended call stayed "live" on the console."""
    sink = RedisEventSink(own_redis.client())
    reader = RedisEventReader(own_redis.client())
    sink(CallEvent("call_started", "c1", {"direction": "outbound"}))
    sink(CallEvent("state", "c1", {"state": "greeting"}))
    assert sink.flush(5)
    time.sleep(1.2)  # the AOF is fsynced every second: what was written before the kill survives it
    kill(own_redis)
    during = [CallEvent("user_turn", "c1", {"text": "价格多少"}), CallEvent("bot_turn", "c1", {"text": "九十九元"}),
              CallEvent("call_ended", "c1", {"outcome": {"intent_grade": "B"}}),
              CallEvent("call_started", "c2", {"direction": "outbound"})]
    for event in during:
        sink(event)
    deadline = time.monotonic() + 30
    while sink.errors < 3 and time.monotonic() < deadline:  # about one retry a second
        time.sleep(0.1)
    assert sink.backlog == 4 and sink.published == 2
    own_redis.start()
    assert sink.flush(10), "the backlog was not written after Redis came back"
    assert [(e.data["call_id"], e.data["type"]) for e in reader.recent(10)] == [
        ("c1", "call_started"), ("c1", "state"), ("c1", "user_turn"), ("c1", "bot_turn"), ("c1", "call_ended"),
        ("c2", "call_started")]
    assert [c["call_id"] for c in reader.live_calls()] == ["c2"]  # c1 ended during the outage: no ghost
    # Each failed write was tried again (errors >= 3): the call's row took each event once.
    said = [u["text"] for u in json.loads(reader.call_state("c1")["utterances"])]
    assert said == ["价格多少", "九十九元"], said
    assert sink.dropped == 0
    # One warning for the outage and one line for its end, not one per retry.
    assert [e["event"] for e in log_events("redis_event_sink_unavailable", "redis_event_sink_recovered")] == [
        "redis_event_sink_unavailable", "redis_event_sink_recovered"]
    assert log_events("redis_event_sink_recovered")[0]["replayed"] == 4
    sink.close()


def test_the_backlog_is_bounded_and_keeps_the_newest(own_redis):
    sink = RedisEventSink(own_redis.client(), buffer=3)
    kill(own_redis)
    for i in range(6):
        sink(CallEvent("state", "c1", {"state": f"s{i}"}))
        time.sleep(0.05)  # the sink takes each from its queue: the backlog, not the queue, overflows
    deadline = time.monotonic() + 10
    while sink.dropped < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sink.backlog == 3 and sink.dropped == 3
    own_redis.start()
    assert sink.flush(10)
    states = [e.data["state"] for e in RedisEventReader(own_redis.client()).recent(10)]
    assert states == ["s3", "s4", "s5"]
    sink.close()


def test_a_live_call_whose_process_died_leaves_the_console_within_its_lease(redis_client):
    """Ghost "live" calls lingered up to an hour (the hash's TTL). Now a live call is a lease its
    process renews; a 2 s lease here stands for the default minute."""
    sink = RedisEventSink(redis_client, live_ttl_s=2)
    reader = RedisEventReader(redis_client)
    sink(CallEvent("call_started", "quiet", {"direction": "inbound"}))
    sink(CallEvent("call_started", "dies", {"direction": "outbound"}))
    assert sink.flush(5)
    time.sleep(3.0)  # longer than the lease, with no event: the live calls are renewed
    assert sorted(c["call_id"] for c in reader.live_calls()) == ["dies", "quiet"]
    sink.close()  # the process dies: no call_ended, no more renewals
    deadline = time.monotonic() + 5
    while reader.live_calls() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert reader.live_calls() == [] and not redis_client.smembers(LIVE_CALLS)
    assert time.monotonic() < deadline


def test_heartbeat_warns_once_per_outage_and_says_when_redis_is_back(own_redis, log_events):
    cfg = CampaignConfig(visibility_timeout_s=0.6)
    clock = FakeClock(datetime.fromtimestamp(SHANGHAI_11).astimezone())
    worker = CampaignWorker(own_redis.client(), "hb", SimulatedDialer(clock), cfg, clock, worker_id="w1")
    worker.start_heartbeat()
    try:
        kill(own_redis)
        time.sleep(2.0)  # 20 retries at 0.1 s
        own_redis.start()
        deadline = time.monotonic() + 10
        while not log_events("heartbeat_recovered") and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop_heartbeat()
    assert [e["event"] for e in log_events("heartbeat_failed", "heartbeat_recovered")] == [
        "heartbeat_failed", "heartbeat_recovered"]
    assert log_events("heartbeat_recovered")[0]["outage_s"] >= 1.5


def test_a_wiped_job_stream_is_recreated_loudly_and_later_jobs_are_dialled(redis_client, log_events):
    """The repro: a Redis without persistence restarted; four `worker_crashed` (NOGROUP) and exit 0."""
    cfg = CampaignConfig(freq_cap_calls=0)
    clock = FakeClock(datetime.fromtimestamp(SHANGHAI_11).astimezone())
    worker = CampaignWorker(redis_client, "wiped", SimulatedDialer(clock), cfg, clock, worker_id="w1")
    redis_client.delete(worker.ck.stream)  # stream and group gone, as after an empty restart
    job = CallJob("wiped", "c1:1", "c1", "+8613800138000", 1, timezone="Asia/Shanghai",
                  customer={"persona": "interested"})
    redis_client.hset(worker.ck.jobs, job.job_id, job.to_json())
    redis_client.zadd(worker.ck.scheduled, {job.job_id: SHANGHAI_11 - 1})
    assert worker.step() == "idle"  # NOGROUP: said, group made again; the promoted entry predates it
    lost = log_events("job_queue_group_lost")
    assert len(lost) == 1 and lost[0]["level"] == "error" and "NOGROUP" in lost[0]["error"]
    assert worker.stats.groups_recreated == 1
    JobQueue(redis_client, worker.ck).schedule(CallJob("wiped", "c2:1", "c2", "+8613900139000", 1,
                                                       timezone="Asia/Shanghai", customer={"persona": "interested"}),
                                               SHANGHAI_11 - 1)
    outcomes = [worker.step() for _ in range(3)]
    assert "dialed" in outcomes and worker.stats.dialed >= 1


def test_campaign_start_exits_non_zero_when_a_channel_crashed(redis_server, tmp_path):
    """A channel that crashes makes `voicebot campaign start` exit 1, not 0 (here the first
    customer's cap record is no sorted set, which the gate cannot read: no retry can fix it)."""
    import subprocess
    import sys

    from campaign_data import phone_for, write_customers

    from voicebot.campaign import keys
    from voicebot.campaign.phones import normalise_phone

    client = redis_server.client()
    client.flushall()
    env = {**os.environ, "VOICEBOT_REDIS__URL": f"unix://{redis_server.socket_path}"}
    cli = [sys.executable, "-m", "voicebot", "campaign"]
    csv = write_customers(tmp_path / "c.csv", ["interested"])
    for args in (["create", "crash"], ["import", "crash", str(csv)]):
        done = subprocess.run(cli + args, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    client.set(keys.number_calls(normalise_phone(phone_for(0))), "not a sorted set")
    run = subprocess.run(cli + ["start", "crash", "--simulate", "--until-done",
                                "--simulated-start", "2026-03-03T11:00:00+08:00"],
                         capture_output=True, text=True, env=env, timeout=180)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert "worker_crashed" in run.stderr + run.stdout and '"crashed"' in run.stdout
