"""Campaigns: KPI cards and charts from the campaign module's results (its KPI math, not ours)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response

from voicebot.campaign import keys
from voicebot.campaign.kpi import breakdown, compute, load_results
from voicebot.supervisor.app import Console, page, require_api, require_page
from voicebot.supervisor.auth import ConsoleSession


def campaign_data(console: Console, name: str) -> dict[str, Any] | None:
    client = console.client
    if not client.sismember(keys.CAMPAIGNS, name):
        return None
    cfg = console.settings.campaign
    results = load_results(client, name)
    total = compute(results, cfg)
    parts = breakdown(results, cfg)
    # Calls per hour of the day they were placed (UTC hour buckets; a chart, not a KPI).
    per_hour = Counter(int(r["started"] // 3600) * 3600 for r in results)
    return {
        "campaign": name,
        "meta": client.hgetall(keys.CampaignKeys(name).meta),
        "total": total.as_dict(),
        "by_segment": {g: k.as_dict() for g, k in parts["segment"].items()},
        "by_variant": {g: k.as_dict() for g, k in parts["variant"].items()},
        "by_day": {g: k.as_dict() for g, k in parts["day"].items()},
        "calls_per_hour": [{"hour": h, "calls": n} for h, n in sorted(per_hour.items())],
    }


def register(app: FastAPI, console: Console) -> None:
    @app.get("/campaigns")
    def campaigns_page(request: Request, session: ConsoleSession = Depends(require_page)) -> Response:
        names = sorted(console.client.smembers(keys.CAMPAIGNS))
        return page(console, request, "campaigns.html", session, names=names)

    @app.get("/api/campaigns")
    def campaigns(session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        return {"campaigns": sorted(console.client.smembers(keys.CAMPAIGNS))}

    @app.get("/api/campaigns/{name}")
    async def campaign(name: str, session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        data = await asyncio.to_thread(campaign_data, console, name)
        if data is None:
            raise HTTPException(404, f"no campaign {name!r}")
        return data
