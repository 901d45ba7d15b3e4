"""A whole campaign through the worker with the simulated dialer, on a fake clock."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

from campaign_data import SHANGHAI, write_customers

from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.importer import import_customers
from voicebot.campaign.kpi import load_results
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.scheduler import CallingRules
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker

PERSONAS = (["interested"] * 8 + ["price_sensitive"] * 8 + ["refuse"] * 8 + ["busy"] * 6 + ["no_answer"] * 6
            + ["voicemail"] * 5 + ["stop_calling"] * 4 + ["callback"] * 4 + ["busy_then_answer"] * 3
            + ["transfer"] * 2 + ["invalid"] * 1)


def _setup(redis_client, tmp_path, clock, cfg, name="spring"):
    camp = Campaign(redis_client, name)
    camp.create("spring promotion")
    path = write_customers(tmp_path / "customers.csv", PERSONAS)
    report = import_customers(redis_client, path, ColumnMapping.identity(), campaign=name)
    assert report.errors == [] and report.new_customers == len(PERSONAS)
    camp.plan(clock, cfg)
    assert camp.seed(clock, cfg) == len(PERSONAS)
    return camp


def _status_by_persona(redis_client, camp):
    out: dict[str, Counter] = {}
    for cid in camp.members():
        persona = redis_client.hget(keys.customer(cid), "persona")
        out.setdefault(persona, Counter())[redis_client.hget(camp.ck.state(cid), "status")] += 1
    return out


def test_campaign_outcomes_retries_callbacks_and_dnc(redis_client, tmp_path, clock, cfg):
    camp = _setup(redis_client, tmp_path, clock, cfg)
    worker = CampaignWorker(redis_client, "spring", SimulatedDialer(clock), cfg, clock, worker_id="w1")
    worker.run(threading.Event(), poll_s=0.05, exit_when_done=True, advance_clock=True)

    assert camp.status == "done"
    by_persona = _status_by_persona(redis_client, camp)
    assert by_persona["interested"] == Counter({"converted": 8})
    assert by_persona["price_sensitive"] == Counter({"interested": 8})
    assert by_persona["refuse"] == Counter({"not_interested": 8})
    assert by_persona["busy"] == Counter({"unreachable": 6})
    assert by_persona["no_answer"] == Counter({"unreachable": 6})
    assert by_persona["voicemail"] == Counter({"voicemail": 5})
    assert by_persona["stop_calling"] == Counter({"do_not_call": 4})
    assert by_persona["callback"] == Counter({"interested": 4})
    assert by_persona["busy_then_answer"] == Counter({"interested": 3})
    assert by_persona["transfer"] == Counter({"interested": 2})  # handed to a person as a lead
    assert by_persona["invalid"] == Counter({"wrong_number": 1})

    results = load_results(redis_client, "spring")
    calls = Counter(r["customer_id"] for r in results)
    persona_of = {cid: redis_client.hget(keys.customer(cid), "persona") for cid in camp.members()}
    for cid, n in calls.items():
        expected = {"busy": 3, "no_answer": 3, "voicemail": 3, "callback": 2, "busy_then_answer": 2}
        assert n == expected.get(persona_of[cid], 1), persona_of[cid]
    # No attempt was dialled twice.
    dials = redis_client.lrange(camp.ck.dials, 0, -1)
    assert len(dials) == len(set(dials)) == len(results)

    rules = CallingRules.from_config(cfg)
    for r in results:
        assert rules.is_allowed(r["started"], "Asia/Shanghai")
        if r["attempt"] > 1 and r["kind"] == "retry":
            prev = next(p for p in results if p["customer_id"] == r["customer_id"] and p["attempt"] == r["attempt"] - 1)
            assert r["started"] - prev["ended"] >= cfg.retry_backoff_s[r["attempt"] - 2]
    # Callbacks happen the next day at 15:00, the time the callee asked for.
    for r in results:
        if r["kind"] == "callback":
            local = datetime.fromtimestamp(r["started"], SHANGHAI)
            assert (local.day, local.hour, local.minute) == (4, 15, 0)
    # Opt-outs are on the do-not-call list and never called again.
    dnc = redis_client.smembers(keys.DNC)
    stop_phones = {redis_client.hget(keys.customer(c), "phone") for c, p in persona_of.items() if p == "stop_calling"}
    assert stop_phones <= dnc
    # Interested customers who did not buy get a follow-up task.
    assert redis_client.zcard(camp.ck.followups) == 8 + 4 + 3 + 2
