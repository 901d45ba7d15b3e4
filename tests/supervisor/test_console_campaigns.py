"""The campaigns page's data is the campaign module's KPI math over the results stream."""

from __future__ import annotations

from fastapi.testclient import TestClient

from voicebot.campaign.kpi import compute

from .campaign_seed import CAMPAIGN, seed_campaign
from .conftest import login


def test_campaign_kpis_by_segment_and_variant(console_app, redis_client):
    app, settings = console_app
    records = seed_campaign(redis_client)
    with TestClient(app) as client:
        assert client.get(f"/api/campaigns/{CAMPAIGN}").status_code == 401
        login(client, "vic")  # KPIs carry no personal data: viewers see them too
        assert client.get("/api/campaigns").json()["campaigns"] == [CAMPAIGN]
        data = client.get(f"/api/campaigns/{CAMPAIGN}").json()
        assert client.get("/api/campaigns/nope").status_code == 404
        assert client.get("/campaigns").status_code == 200
    total = data["total"]
    assert total == compute(records, settings.campaign).as_dict()
    assert total["attempts"] == 6 and total["human"] == 4
    assert abs(total["connect_rate"] - 5 / 6) < 1e-9  # human + voicemail
    assert abs(total["intent_share"] - 2 / 4) < 1e-9 and total["transfers"] == 1 and total["complaints"] == 1
    assert set(data["by_segment"]) == {"new_lead", "loyal"}
    assert data["by_segment"]["new_lead"]["conversions"] == 1
    assert set(data["by_variant"]) == {"new_lead/v1", "new_lead/v2", "loyal/v1", "loyal/v2"}
    assert sum(h["calls"] for h in data["calls_per_hour"]) == 6 and len(data["calls_per_hour"]) == 2


def test_campaign_pause_and_resume_by_supervisors_only(console_app, redis_client):
    from voicebot.campaign.campaign import Campaign

    from .conftest import csrf_of

    app, _ = console_app
    seed_campaign(redis_client)
    url = f"/api/campaigns/{CAMPAIGN}/status"
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        assert viewer.post(url, json={"status": "paused"}, headers={"x-csrf-token": csrf_of(viewer)}).status_code == 403
        assert sup.post(url, json={"status": "paused"}).status_code == 403  # no CSRF token
        h = {"x-csrf-token": csrf_of(sup)}
        assert sup.post(url, json={"status": "paused"}, headers=h).json()["status"] == "paused"
        assert Campaign(redis_client, CAMPAIGN).status == "paused"  # what the campaign worker reads
        assert sup.post(url, json={"status": "paused"}, headers=h).status_code == 409
        assert sup.post(url, json={"status": "done"}, headers=h).status_code == 400
        assert sup.post(url, json={"status": "running"}, headers=h).status_code == 200
        assert sup.post("/api/campaigns/nope/status", json={"status": "paused"}, headers=h).status_code == 404
        entries = sup.get("/api/audit", params={"action": "campaign"}).json()["entries"]
        assert [e["detail"]["status"] for e in entries] == ["running", "paused"]


def test_agents_available_sets_the_dialers_pacing(console_app, redis_client):
    from voicebot.campaign import keys

    from .conftest import csrf_of

    app, settings = console_app
    settings.campaign.human_agents = 2
    redis_client.zadd(keys.AGENT_TRANSFERS, {"t1": __import__("time").time()})  # one transfer in progress
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        assert sup.get("/api/wallboard").json()["tiles"]["agents_free"] == {"value": 1, "level": "ok"}
        assert viewer.post("/api/agents", json={"available": 9},
                           headers={"x-csrf-token": csrf_of(viewer)}).status_code == 403
        h = {"x-csrf-token": csrf_of(sup)}
        assert sup.post("/api/agents", json={"available": 1}, headers=h).json() == {
            "agents": 1, "override": True, "busy": 1, "free": 0}
        assert redis_client.get(keys.AGENTS_FREE_OVERRIDE) == "1"  # what pacing.Pacer reads
        assert sup.get("/api/wallboard").json()["tiles"]["agents_free"] == {"value": 0, "level": "red"}
        assert sup.post("/api/agents", json={"available": -1}, headers=h).status_code == 422
        assert sup.post("/api/agents", json={"available": None}, headers=h).json()["agents"] == 2
        assert redis_client.get(keys.AGENTS_FREE_OVERRIDE) is None


def test_unanswered_questions_shown_when_the_nlu_side_provides_them(console_app, redis_client, monkeypatch):
    """The FAQ-miss table belongs to the dialogue side; until it exists the page hides the section
    (None), and once it does its rows reach the page, masked for viewers."""
    import sys
    import types

    app, _ = console_app
    seed_campaign(redis_client)
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        assert sup.get(f"/api/campaigns/{CAMPAIGN}").json()["unanswered"] is None
        fake = types.ModuleType("voicebot.dialogue.faq_misses")
        fake.unanswered_questions = lambda client, name, limit: [
            types.SimpleNamespace(text="能不能打 138 1234 5678 找你们经理？", count=3)]
        monkeypatch.setitem(sys.modules, "voicebot.dialogue.faq_misses", fake)
        assert sup.get(f"/api/campaigns/{CAMPAIGN}").json()["unanswered"] == [
            {"text": "能不能打 138 1234 5678 找你们经理？", "count": 3}]
        assert viewer.get(f"/api/campaigns/{CAMPAIGN}").json()["unanswered"][0]["text"] == "能不能打 138 **** **78 找你们经理？"
