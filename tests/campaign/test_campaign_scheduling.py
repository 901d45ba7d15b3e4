"""Calling hours, holidays, time zones, frequency cap, DNC and pacing, all on a fake clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from campaign_data import SHANGHAI

from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.customers import CustomerStore, DoNotCallList
from voicebot.campaign.kpi import load_results
from voicebot.campaign.pacing import Pacer
from voicebot.campaign.plans import plans_for
from voicebot.campaign.scheduler import CallingRules
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig


def at(y, mo, d, h, mi=0, tz=SHANGHAI) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=tz).timestamp()


def test_next_allowed_respects_hours_holidays_zones_and_preferred_window():
    rules = CallingRules.from_config(CampaignConfig(holidays=["2026-03-04"]))
    assert rules.next_allowed(at(2026, 3, 3, 7)) == at(2026, 3, 3, 9)
    assert rules.next_allowed(at(2026, 3, 3, 10, 30)) == at(2026, 3, 3, 10, 30)
    assert rules.next_allowed(at(2026, 3, 3, 20)) == at(2026, 3, 5, 9)  # 4 March is a holiday
    assert rules.next_allowed(at(2026, 3, 3, 10), window=(18, 20)) == at(2026, 3, 3, 18)
    la = ZoneInfo("America/Los_Angeles")
    assert rules.next_allowed(at(2026, 3, 3, 14), "America/Los_Angeles") == at(2026, 3, 3, 9, tz=la)
    assert not rules.is_allowed(at(2026, 3, 3, 14), "America/Los_Angeles")  # 22:00 in LA


def _campaign(redis_client, clock, cfg, phones):
    store = CustomerStore(redis_client)
    store.upsert_many([{"phone": p, "persona": "refuse", "timezone": tz} for p, tz in phones])
    camp = Campaign(redis_client, "hours")
    camp.create()
    camp.add_members([keys.customer_id(p) for p, _ in phones])
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    return camp


def test_calls_outside_hours_are_never_placed(redis_client, clock, cfg):
    phones = [("+8613900000001", "Asia/Shanghai"), ("+16502530000", "America/Los_Angeles")]
    camp = _campaign(redis_client, clock, cfg, phones)
    worker = CampaignWorker(redis_client, "hours", SimulatedDialer(clock), cfg, clock, worker_id="w")
    # 08:00 in Shanghai is 16:00 the day before in LA: only the LA customer may be called.
    clock.advance(1)
    worker.run_until_idle()
    calls = load_results(redis_client, "hours")
    assert [r["customer_id"] for r in calls] == [keys.customer_id("+16502530000")]
    # Jobs made due at 09:00 but picked up after 20:00 (a stalled worker) are deferred, not dialled.
    camp.client.zadd(camp.ck.scheduled, {m: 0 for m in camp.client.zrange(camp.ck.scheduled, 0, -1)})
    clock.set(at(2026, 3, 3, 20, 30))
    worker.run_until_idle()
    assert len(load_results(redis_client, "hours")) == 1 and worker.stats.deferred >= 1
    for hour in range(21, 24 + 10):
        clock.set(at(2026, 3, 3, 0) + hour * 3600)
        worker.run_until_idle()
    calls = load_results(redis_client, "hours")
    assert len(calls) == 2
    rules = CallingRules.from_config(cfg)
    assert all(rules.is_allowed(r["started"], tz) for r, (_, tz) in zip(calls, reversed(phones)))
    assert datetime.fromtimestamp(calls[1]["started"], SHANGHAI).hour == 9  # no preference: first allowed hour


def test_dnc_and_frequency_cap_hold_back_calls(redis_client, clock, cfg):
    clock.set(at(2026, 3, 3, 10))
    phones = [("+8613900000001", "Asia/Shanghai"), ("+8613900000002", "Asia/Shanghai")]
    DoNotCallList(redis_client).add("+8613900000002", "imported opt-out")
    # Another campaign talked to the first number two days ago: the 5-day cap defers this call.
    redis_client.zadd(keys.number_calls("+8613900000001"), {"other:1": clock.now() - 2 * 86400})
    camp = _campaign(redis_client, clock, cfg, phones)
    assert camp.status_report()["by_status"] == {"scheduled": 1, "do_not_call": 1}
    worker = CampaignWorker(redis_client, "hours", SimulatedDialer(clock), cfg, clock)
    clock.advance(1)
    worker.run_until_idle()
    assert load_results(redis_client, "hours") == [] and worker.stats.deferred == 1
    next_at = float(redis_client.hget(camp.ck.state(keys.customer_id(phones[0][0])), "next_at"))
    assert next_at >= clock.now() + 3 * 86400 - 1
    clock.set(next_at)
    worker.run_until_idle()
    assert len(load_results(redis_client, "hours")) == 1


def test_pacing_by_bot_channels_and_agent_load(redis_client, clock):
    ck = keys.CampaignKeys("pace")
    cfg = CampaignConfig(bot_channels=8, human_agents=1, transfer_rate_prior=0.5)
    pacer = Pacer(redis_client, ck, cfg)
    now = clock.now()
    # Expected transfers (in-flight x 0.5) may not exceed the one free agent: 2 calls at once.
    assert [pacer.acquire(f"a{i}", now).reason for i in range(3)] == ["ok", "ok", "agents"]
    pipe = redis_client.pipeline()
    pacer.release(pipe, "a0")
    pacer.release(pipe, "a1")
    pacer.note_transfer(pipe, "a1", now)  # the agent is now busy with a transfer
    pipe.execute()
    assert pacer.acquire("a3", now).reason == "agents"
    assert pacer.acquire("a3", now + cfg.agent_handle_s + 1).ok  # transfer handled: agent free again
    redis_client.set(keys.AGENTS_FREE_OVERRIDE, 4)  # supervisor staffs up
    assert pacer.acquire("a4", now + cfg.agent_handle_s + 1).ok
    channels = Pacer(redis_client, keys.CampaignKeys("pace2"), CampaignConfig(bot_channels=2, human_agents=0))
    assert [channels.acquire(f"b{i}", now).reason for i in range(3)] == ["ok", "ok", "channels"]


def test_plan_windows_drive_first_call_time(redis_client, clock, cfg):
    plans = plans_for(["x"], [{"preferred_hour": "19"}], datetime(2026, 3, 3).date())
    rules = CallingRules.from_config(cfg)
    window = (plans[0].window_start_hour, plans[0].window_end_hour)
    assert datetime.fromtimestamp(rules.next_allowed(clock.now(), None, window), SHANGHAI).hour == 18
    # The preferred window is more than 2 days away (holidays): the first allowed time instead.
    rules2 = CallingRules.from_config(CampaignConfig(holidays=["2026-03-03", "2026-03-04", "2026-03-05"]))
    assert rules2.next_allowed(clock.now(), None, window) == at(2026, 3, 6, 9)


def test_a_worker_waits_for_a_free_channel_without_pushing_the_queue_back(redis_client, clock, cfg):
    """More workers than channels (campaign start --channels above campaign.bot_channels, or a second
    machine): a worker that finds every channel busy takes no job. Taking jobs only to defer them by
    PACING_RETRY_S pushed the whole queue ahead, and channels freed meanwhile found nothing due."""
    phones = [(f"+86139000000{i:02d}", "Asia/Shanghai") for i in range(5)]
    cfg = cfg.model_copy(update={"bot_channels": 1, "human_agents": 0})
    camp = _campaign(redis_client, clock, cfg, phones)
    clock.set(at(2026, 3, 3, 10))
    redis_client.zadd(camp.ck.inflight, {"elsewhere:1": clock.now()})  # another worker's call holds the channel
    worker = CampaignWorker(redis_client, "hours", SimulatedDialer(clock), cfg, clock, worker_id="w")
    due_before = redis_client.zcount(camp.ck.scheduled, "-inf", clock.now()) + redis_client.xlen(camp.ck.stream)
    assert [worker.step() for _ in range(10)] == ["channels_full"] * 10
    assert worker.stats.paced == worker.stats.deferred == 0
    assert redis_client.zcount(camp.ck.scheduled, "-inf", clock.now()) + redis_client.xlen(camp.ck.stream) == due_before
    redis_client.zrem(camp.ck.inflight, "elsewhere:1")  # that call ended: the next job is dialled at once
    assert worker.step() not in ("channels_full", "paced", "idle")
    assert len(load_results(redis_client, "hours")) == 1


def test_starting_more_channels_than_the_pacer_allows_says_so(redis_client, cfg):
    from voicebot.campaign.controls import ceiling_warning

    ck = keys.CampaignKeys("ceiling")
    cfg = cfg.model_copy(update={"bot_channels": 8})
    assert ceiling_warning(redis_client, ck, cfg, 8, zh=False) == ""
    en, zh = ceiling_warning(redis_client, ck, cfg, 12, zh=False), ceiling_warning(redis_client, ck, cfg, 12, zh=True)
    assert "12 channels" in en and "at most 8" in en and "campaign.bot_channels" in en
    assert "要求 12 路" in zh and "最多只拨 8 路" in zh
    redis_client.hset(ck.meta, "bot_channels", 12)  # the console raised this campaign's limit
    assert ceiling_warning(redis_client, ck, cfg, 12, zh=True) == ""
