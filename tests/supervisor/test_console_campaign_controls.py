"""Pacing and calling hours set from the console reach the running campaign workers; bad values are
refused naming the field (both languages); supervisors only, CSRF-checked, audited before -> after."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.clock import FakeClock
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.kpi import load_results
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig

from .conftest import csrf_of, login

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAME = "autumn-ctl"
URL = f"/api/campaigns/{NAME}/controls"


def at(h: int, mi: int = 0) -> float:
    return datetime(2026, 3, 3, h, mi, tzinfo=SHANGHAI).timestamp()  # a Tuesday


def _campaign(client, clock: FakeClock, cfg: CampaignConfig, n: int = 2) -> Campaign:
    phones = [f"+861390000{i:04d}" for i in range(n)]
    CustomerStore(client).upsert_many([{"phone": p, "persona": "refuse", "timezone": "Asia/Shanghai"} for p in phones])
    camp = Campaign(client, NAME)
    camp.create()
    camp.add_members([keys.customer_id(p) for p in phones])
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)  # first calls due at 09:00 (the config's hours)
    return camp


def test_hours_and_pacing_from_the_console_reach_the_running_worker(console_app, redis_client):
    app, settings = console_app
    cfg = settings.campaign = CampaignConfig(bot_channels=4, human_agents=0, calling_hours_start="09:00",
                                             calling_hours_end="20:00")
    clock = FakeClock(datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI))
    _campaign(redis_client, clock, cfg)
    worker = CampaignWorker(redis_client, NAME, SimulatedDialer(clock), cfg, clock, worker_id="w1")
    with TestClient(app) as sup:
        login(sup, "sue")
        h = {"x-csrf-token": csrf_of(sup)}
        assert sup.get(URL).json()["calling_hours_start"] == "09:00"
        r = sup.post(URL, json={"calling_hours_start": "10:30", "calling_hours_end": "19:00", "bot_channels": "1"},
                     headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["own"] == ["bot_channels", "calling_hours_start", "calling_hours_end"]
        # The same worker object, already built with the config's hours: it follows the campaign's now.
        clock.set(at(9, 30))
        worker.run_until_idle()
        assert load_results(redis_client, NAME) == [] and worker.stats.deferred == 2
        # Pacing: one simultaneous call for this campaign (the config says 4).
        assert worker.pacer.acquire("x1", clock.now()).ok
        assert worker.pacer.acquire("x2", clock.now()).reason == "channels"
        redis_client.delete(keys.CampaignKeys(NAME).inflight)
        clock.set(at(10, 30))
        worker.run_until_idle()
        calls = load_results(redis_client, NAME)
        assert len(calls) == 2
        assert all(datetime.fromtimestamp(c["started"], SHANGHAI).strftime("%H:%M") >= "10:30" for c in calls)
        entry = sup.get("/api/audit", params={"action": "campaign_controls"}).json()["entries"][0]
    assert entry["user"] == "sue" and entry["detail"]["campaign"] == NAME
    assert entry["detail"]["changes"] == [{"field": "bot_channels", "from": 4, "to": 1},
                                          {"field": "calling_hours_start", "from": "09:00", "to": "10:30"},
                                          {"field": "calling_hours_end", "from": "20:00", "to": "19:00"}]


def test_bad_values_are_refused_naming_the_field_and_nothing_is_stored(console_app, redis_client):
    app, settings = console_app
    redis_client.sadd(keys.CAMPAIGNS, NAME)
    meta = keys.CampaignKeys(NAME).meta
    redis_client.hset(meta, mapping={"status": "running", "bot_channels": "3"})
    with TestClient(app) as sup:
        login(sup, "sue")
        h = {"x-csrf-token": csrf_of(sup)}
        cases = [
            ({"calling_hours_start": "18:00", "calling_hours_end": "09:00"}, "calling_hours_end",
             "Calling hours end: the end 09:00 must be after the start 18:00"),
            ({"calling_hours_start": "25:00", "calling_hours_end": "26:00"}, "calling_hours_start",
             'Calling hours start: "25:00" is not a time like 09:00'),
            ({"calling_hours_end": "08:00"}, "calling_hours_end", "the end 08:00 must be after the start 09:00"),
            ({"bot_channels": 0, "calling_hours_start": "10:00", "calling_hours_end": "18:00"}, "bot_channels",
             "Simultaneous calls: must be between 1 and 500 (got 0)"),
            ({"bot_channels": 100000}, "bot_channels", "(got 100000)"),
            ({"bot_channels": "ten"}, "bot_channels", '"ten" is not a whole number'),
            ({"bot_channels": 2.5}, "bot_channels", "is not a whole number"),
            ({"bot_channels": True}, "bot_channels", "is not a whole number"),
            ({"status": "done"}, "status", "status: cannot be changed here"),
        ]
        for body, field, words in cases:
            r = sup.post(URL, json=body, headers=h)
            assert r.status_code == 400 and r.json()["field"] == field and words in r.json()["detail"], (body, r.text)
        assert redis_client.hgetall(meta) == {"status": "running", "bot_channels": "3"}  # nothing half-applied
        sup.cookies.set("vb_lang", "zh-CN")
        r = sup.post(URL, json={"calling_hours_start": "18:00", "calling_hours_end": "09:00"}, headers=h)
        assert r.json()["detail"] == "呼叫时段结束：结束时间 09:00 必须晚于开始时间 18:00"
        r = sup.post(URL, json={"bot_channels": 0}, headers=h)
        assert r.json()["detail"].startswith("同时外呼路数：须在 1 到 500 之间（填的是 0）")
        # Back to the system defaults.
        r = sup.post(URL, json={"bot_channels": None, "calling_hours_start": None, "calling_hours_end": None},
                     headers=h)
        assert r.json()["own"] == [] and r.json()["bot_channels"] == settings.campaign.bot_channels
        assert sup.post(URL, json={"bot_channels": None}, headers=h).json()["changed"] == []


def test_controls_are_for_supervisors_only_and_need_csrf(console_app, redis_client):
    app, _ = console_app
    redis_client.sadd(keys.CAMPAIGNS, NAME)
    redis_client.hset(keys.CampaignKeys(NAME).meta, mapping={"status": "running"})
    body = {"bot_channels": 2}
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        assert viewer.post(URL, json=body, headers={"x-csrf-token": csrf_of(viewer)}).status_code == 403
        assert sup.post(URL, json=body).status_code == 403  # no CSRF token
        assert sup.post(URL, json=body, headers={"x-csrf-token": "forged"}).status_code == 403
        assert sup.post("/api/campaigns/nope/controls", json=body,
                        headers={"x-csrf-token": csrf_of(sup)}).status_code == 404
        assert redis_client.hget(keys.CampaignKeys(NAME).meta, "bot_channels") is None
        assert 'id="controls-form"' not in viewer.get("/campaigns").text  # viewers get no form
        sup.cookies.set("vb_lang", "zh-CN")
        page = sup.get("/campaigns").text
        assert 'id="controls-form"' in page and "拨打节奏" in page and "呼叫时段" in page
