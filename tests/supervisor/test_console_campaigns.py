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
