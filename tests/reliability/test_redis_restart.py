"""Redis killed (SIGKILL) and restarted mid-campaign: the workers ride it out, no job is lost or
doubled, and the outcome of a call that was live while Redis was down is recorded afterwards.

The first test runs worker threads in-process on a simulated clock; the slow one runs the
benchmark's scenario (benchmarks/fault_scenarios.py) end to end: worker processes on the real
zh dialplan, the product's AOF Redis SIGKILLed and restarted."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from campaign_data import write_customers

from voicebot.campaign.campaign import Campaign
from voicebot.campaign.importer import import_customers
from voicebot.campaign.kpi import load_results
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.store.redis_server import PrivateRedis

PERSONAS = ["interested", "refuse", "busy", "price_sensitive", "stop_calling"] * 6
ROOT = Path(__file__).resolve().parents[2]


def _fault_scenarios():
    spec = importlib.util.spec_from_file_location("fault_scenarios", ROOT / "benchmarks" / "fault_scenarios.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_redis_killed_and_restarted_mid_campaign_loses_and_doubles_nothing(tmp_path, clock, cfg):
    server = PrivateRedis(Path(tempfile.mkdtemp(prefix="vb-rr-")))
    client = server.start()
    try:
        camp = Campaign(client, "restart")
        camp.create()
        import_customers(client, write_customers(tmp_path / "c.csv", PERSONAS), ColumnMapping.identity(),
                         campaign="restart")
        camp.plan(clock, cfg)
        camp.seed(clock, cfg)
        stop = threading.Event()
        # Calls take long enough (50 ms) that one is live when Redis dies.
        workers = [CampaignWorker(server.client(), "restart", SimulatedDialer(clock, call_seconds=0.05), cfg, clock,
                                  worker_id=f"w{i}") for i in range(2)]
        errors: list[BaseException] = []

        def run(worker):
            try:
                worker.run(stop, poll_s=0.02, exit_when_done=True, advance_clock=True)
            except BaseException as exc:  # noqa: BLE001 - the assertion below reports it
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while client.xlen(camp.ck.results) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        before = client.xlen(camp.ck.results)
        os.kill(int(server.pid_path.read_text()), signal.SIGKILL)
        time.sleep(1.5)  # workers see connection errors meanwhile
        client = server.start()
        for t in threads:
            t.join(90)
        stop.set()
        assert not errors, errors
        assert not any(t.is_alive() for t in threads), "a worker did not finish after Redis came back"
        assert 8 <= before < len(PERSONAS), "Redis must die mid-campaign"

        results = load_results(client, "restart")
        dials = client.lrange(camp.ck.dials, 0, -1)
        assert len(dials) == len(set(dials)), "an attempt was dialled twice"
        assert len({r["job_id"] for r in results}) == len(results), "an outcome was recorded twice"
        # Every dialled attempt has its outcome (the call live during the outage included) ...
        assert set(dials) == {r["job_id"] for r in results}
        # ... and every customer reached a final state.
        final = {cid: client.hget(camp.ck.state(cid), "final") for cid in camp.members()}
        assert all(v == "1" for v in final.values()), final
        statuses = Counter(client.hget(camp.ck.state(cid), "status") for cid in camp.members())
        assert statuses["do_not_call"] == 6 and statuses["unreachable"] == 6, statuses
        assert sum(w.stats.redis_outages for w in workers) >= 1
    finally:
        server.stop()


@pytest.mark.slow
def test_redis_killed_under_worker_processes_on_the_text_dialer_loses_and_doubles_nothing():
    bench = _fault_scenarios()
    result, lab = bench.redis_kill(outage_s=3.0, processes=2, channels=1, n=15)
    lab.close()
    [figures] = result.campaigns
    assert result.detail["calls_in_progress_at_kill"] >= 1, "Redis must die with calls up"
    assert (figures.lost, figures.doubled) == (0, 0), figures.deviations
    assert figures.called_per_rules == figures.customers == 15, figures.deviations
    assert figures.calls_made == sum(bench.DIALS[p] for p in list(bench.DIALS) * 3)
    assert figures.kpi_matches_records
    assert result.events.none_lost, result.events  # every call's events, the outage's included
    assert all(w["redis_outages"] >= 1 and w["events_dropped"] == 0 for w in result.detail["workers"].values())
