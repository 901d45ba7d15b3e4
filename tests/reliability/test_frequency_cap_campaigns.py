"""Issue #20 item 2: the frequency cap is one atomic record per number across all campaigns.

The repro: three campaigns over the same numbers with a cap of 2 answered calls a day answered
every number 3 times, in a row and at once. Real redis-server, real workers in threads."""

from __future__ import annotations

import threading

import pytest

from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.compliance import ComplianceGate
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.kpi import load_results
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig

NUMBERS = [f"+861390000{i:04d}" for i in range(1, 7)]
CAMPAIGNS = ("spring", "summer", "autumn")


def _cfg() -> CampaignConfig:
    return CampaignConfig(max_calls_per_day=2, freq_cap_calls=0, max_attempts=3, human_agents=0, bot_channels=8,
                          visibility_timeout_s=5.0, retry_backoff_s=[3600.0])


def _campaigns(redis_client, clock, cfg, persona: str = "refuse") -> None:
    CustomerStore(redis_client).upsert_many([{"phone": p, "persona": persona, "timezone": "Asia/Shanghai"}
                                             for p in NUMBERS])
    for name in CAMPAIGNS:
        camp = Campaign(redis_client, name)
        camp.create()
        camp.add_members([keys.customer_id(p) for p in NUMBERS])
        camp.plan(clock, cfg)
        camp.seed(clock, cfg)


def _answered_per_number(redis_client) -> dict[str, int]:
    counts = {keys.customer_id(p): 0 for p in NUMBERS}
    for name in CAMPAIGNS:
        for r in load_results(redis_client, name):
            if r["result"]["answered_by"] == "human":
                counts[r["customer_id"]] += 1
    return counts


def test_three_campaigns_in_a_row_call_no_number_more_than_the_cap(redis_client, clock):
    cfg = _cfg()
    clock.set(clock.now() + 3 * 3600)  # 11:00 in Shanghai
    _campaigns(redis_client, clock, cfg)
    stats = []
    for name in CAMPAIGNS:
        clock.advance(60)  # seeded jobs are due a moment after seeding
        worker = CampaignWorker(redis_client, name, SimulatedDialer(clock), cfg, clock, worker_id=f"w-{name}")
        stats.append(worker.run_until_idle())
    assert set(_answered_per_number(redis_client).values()) == {2}
    assert all(redis_client.zcard(keys.number_calls(p)) == 2 for p in NUMBERS)
    # The calls over the cap wait for tomorrow (deferred, not dropped).
    assert sum(s.dialed for s in stats) == 12 and sum(s.deferred for s in stats) == 6, stats


@pytest.mark.parametrize("round_", range(3))
def test_three_concurrent_campaigns_call_no_number_more_than_the_cap(redis_server, clock, round_):
    """One worker per campaign, started together, each call 50 ms long so they overlap."""
    client = redis_server.client()
    client.flushall()
    cfg = _cfg()
    clock.set(clock.now() + 3 * 3600)
    _campaigns(client, clock, cfg)
    clock.advance(60)
    start = threading.Barrier(len(CAMPAIGNS))
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            own = redis_server.client()
            worker = CampaignWorker(own, name, SimulatedDialer(clock, call_seconds=0.05), cfg, clock,
                                    worker_id=f"w-{name}")
            start.wait()
            worker.run_until_idle()
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in CAMPAIGNS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    counts = _answered_per_number(client)
    assert set(counts.values()) == {2}, counts
    assert sum(len(load_results(client, n)) for n in CAMPAIGNS) == 12  # the third call of each waits
    assert all(client.zcard(keys.number_calls(p)) == 2 for p in NUMBERS)


def test_the_gate_checks_and_records_in_one_step_under_contention(redis_server):
    """12 threads race for one number with a cap of 2: exactly 2 are allowed."""
    cfg = _cfg()
    client = redis_server.client()
    client.flushall()
    now = 1772503200.0  # 2026-03-03 10:00 Shanghai
    go = threading.Barrier(12)
    allowed: list[bool] = []

    def ask(i: int) -> None:
        gate = ComplianceGate(redis_server.client(), cfg)
        go.wait()
        allowed.append(gate.may_call(NUMBERS[0], now, path="test", hold=f"race:{i}").allowed)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(allowed) == [False] * 10 + [True] * 2


def test_calls_that_were_no_conversation_are_released_from_the_cap(redis_client, clock):
    cfg = _cfg()
    clock.set(clock.now() + 3 * 3600)
    _campaigns(redis_client, clock, cfg, persona="no_answer")
    clock.advance(60)
    CampaignWorker(redis_client, CAMPAIGNS[0], SimulatedDialer(clock), cfg, clock, worker_id="w").run_until_idle()
    assert len(load_results(redis_client, CAMPAIGNS[0])) == len(NUMBERS)
    assert all(redis_client.zcard(keys.number_calls(p)) == 0 for p in NUMBERS)
