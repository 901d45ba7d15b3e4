"""Several workers on one campaign: no double calls; a worker killed mid-call loses no job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from campaign_data import write_customers

from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.importer import import_customers
from voicebot.campaign.kpi import load_results
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker

PERSONAS = ["interested", "refuse", "busy", "no_answer", "callback", "price_sensitive", "stop_calling"] * 8


def _setup(client, tmp_path, clock, cfg, name, personas):
    camp = Campaign(client, name)
    camp.create()
    import_customers(client, write_customers(tmp_path / f"{name}.csv", personas), ColumnMapping.identity(), campaign=name)
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    return camp


def _run_in_thread(worker, stop):
    thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"poll_s": 0.02, "exit_when_done": True,
                                                                        "advance_clock": True})
    thread.start()
    return thread


def test_two_workers_share_a_campaign_without_double_calls(redis_server, redis_client, tmp_path, clock, cfg):
    camp = _setup(redis_client, tmp_path, clock, cfg, "shared", PERSONAS)
    stop = threading.Event()
    workers = [CampaignWorker(redis_server.client(), "shared", SimulatedDialer(clock, call_seconds=0.005), cfg, clock,
                              worker_id=f"w{i}") for i in range(2)]
    threads = [_run_in_thread(w, stop) for w in workers]
    for t in threads:
        t.join(60)
    stop.set()
    assert not any(t.is_alive() for t in threads)

    dials = redis_client.lrange(camp.ck.dials, 0, -1)
    results = load_results(redis_client, "shared")
    assert len(dials) == len(set(dials)) == len(results)
    assert len({r["job_id"] for r in results}) == len(results)
    assert all(w.stats.dialed > 5 for w in workers), [w.stats for w in workers]
    statuses = Counter(redis_client.hget(camp.ck.state(cid), "status") for cid in camp.members())
    assert statuses == Counter({"converted": 8, "not_interested": 8, "unreachable": 16, "interested": 16,
                                "do_not_call": 8})
    # The customer was called exactly the expected number of times (3 tries for busy/no answer, 2 for callbacks).
    per_customer = Counter(r["customer_id"] for r in results)
    assert sorted(Counter(per_customer.values()).items()) == [(1, 32), (2, 8), (3, 16)]


def test_worker_killed_mid_campaign_loses_no_job(redis_server, redis_client, tmp_path, clock, cfg):
    personas = ["interested", "refuse", "busy", "price_sensitive"] * 5
    camp = _setup(redis_client, tmp_path, clock, cfg, "killed", personas)
    script = Path(__file__).with_name("worker_proc.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, str(script), str(redis_server.socket_path), "killed", str(clock.now() + 3600)],
                            env=env)
    try:
        deadline = time.monotonic() + 30
        # Kill it while a call is in flight, after some calls completed.
        while time.monotonic() < deadline:
            done = redis_client.xlen(camp.ck.results)
            if done >= 5 and redis_client.llen(camp.ck.dials) > done:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    killed_at = redis_client.xlen(camp.ck.results)
    assert 5 <= killed_at < 20, "the worker must die mid-campaign"
    in_flight = set(redis_client.lrange(camp.ck.dials, 0, -1)) - {r["job_id"] for r in load_results(redis_client, "killed")}
    assert len(in_flight) == 1

    survivor = CampaignWorker(redis_server.client(), "killed", SimulatedDialer(clock, call_seconds=0.01), cfg, clock,
                              worker_id="survivor")
    clock.set(clock.now() + 3600)
    stop = threading.Event()
    timer = threading.Timer(60, stop.set)
    timer.start()
    survivor.run(stop, poll_s=0.05, exit_when_done=True, advance_clock=True)
    timer.cancel()
    assert not stop.is_set(), "survivor did not finish the campaign"

    results = load_results(redis_client, "killed")
    dials = redis_client.lrange(camp.ck.dials, 0, -1)
    assert len(dials) == len(set(dials))  # no attempt dialled twice
    interrupted = [r for r in results if r["result"]["error"] == "worker died during the call"]
    assert [r["job_id"] for r in interrupted] == list(in_flight) and survivor.stats.interrupted == 1
    # Every customer reached a final state: nothing was lost.
    final = {cid: redis_client.hget(camp.ck.state(cid), "final") for cid in camp.members()}
    assert all(v == "1" for v in final.values()), final
    assert redis_client.zcard(camp.ck.scheduled) == 0 and redis_client.xlen(camp.ck.stream) == 0
    assert redis_client.zcard(camp.ck.inflight) == 0
    # The interrupted customer was retried as the next attempt.
    cid, attempt = interrupted[0]["job_id"].rsplit(":", 1)
    assert any(r["customer_id"] == cid and r["attempt"] == int(attempt) + 1 for r in results) or \
        redis_client.hget(camp.ck.state(cid), "status") == "unreachable"
    assert keys.worker_alive("doomed") not in redis_client.keys("voicebot:worker:*")
