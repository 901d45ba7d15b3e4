"""Campaigns: KPI cards and charts from the campaign module's results (its KPI math, not ours)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import redis
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.convertors import Convertor, register_url_convertor

from voicebot.campaign.controls import read_controls
from voicebot.campaign.kpi import breakdown, compute, load_results
from voicebot.dialogue.faq_misses import unanswered_questions as faq_misses
from voicebot.masking import mask_value
from voicebot.store import keys
from voicebot.supervisor.auth import ConsoleSession
from voicebot.supervisor.console import Console, page, require_api, require_page, require_supervisor_csrf
from voicebot.supervisor.errors import ApiError, Label


def unanswered_questions(console: Console, name: str) -> list[dict[str, Any]] | None:
    """What callers asked that the FAQ could not answer (as the campaign report reads it); None when
    Redis could not say."""
    try:
        return [{"text": str(q.text), "count": int(q.count)} for q in faq_misses(console.client, name, 30)]
    except redis.RedisError:
        return None


def campaign_data(console: Console, name: str) -> dict[str, Any] | None:
    client = console.client
    if not client.sismember(keys.CAMPAIGNS, name):
        return None
    cfg = console.settings.campaign
    results = load_results(client, name)
    total = compute(results, cfg)
    parts = breakdown(results, cfg)
    # Calls per hour they were placed (epoch hour buckets; the browser labels them in local time).
    controls = read_controls(client, keys.CampaignKeys(name), cfg)
    per_hour = Counter(int(r["started"] // 3600) * 3600 for r in results)
    return {
        "campaign": name,
        "meta": client.hgetall(keys.CampaignKeys(name).meta),
        "total": total.as_dict(),
        "by_segment": {g: k.as_dict() for g, k in parts["segment"].items()},
        "by_variant": {g: k.as_dict() for g, k in parts["variant"].items()},
        "by_day": {g: k.as_dict() for g, k in parts["day"].items()},
        "calls_per_hour": [{"hour": h, "calls": n} for h, n in sorted(per_hour.items())],
        "unanswered": unanswered_questions(console, name),
        # Pacing and calling hours in force: the campaign's own (set from this console) or the config's.
        "controls": controls.as_dict(),
        "rules": {"calling_hours": f"{controls.calling_hours_start}–{controls.calling_hours_end}",
                  "timezone": controls.timezone, "bot_channels": controls.bot_channels,
                  "human_agents": cfg.human_agents, "agents_now": agents_now(console)},
    }


# What a supervisor may set from the console: pause stops placing new calls, resume restarts them.
CONTROLLABLE = {"paused": ("running",), "running": ("paused",)}


class StatusChange(BaseModel):
    status: str


class AgentsAvailable(BaseModel):
    available: int | None = Field(default=None, ge=0, le=10_000)  # None: back to campaign.human_agents



class CampaignName(Convertor):
    """A campaign name in a URL path, "/" included (names like "华东/二月" are sent as %2F, which the
    server decodes before routing): everything up to the route's last segment. A name ending in
    /controls or /status would be read as that sub-route, so the detail route refuses those endings."""
    regex = r".+?(?<!/controls)(?<!/status)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("campaign", CampaignName())

def agents_now(console: Console, now: float | None = None) -> dict[str, Any]:
    """Human agents as the dialer sees them (voicebot.campaign.pacing): configured or overridden,
    minus calls being transferred now, customers handed over within their handle time and agents
    still in wrap-up after a bridged transfer ended."""
    import time

    from voicebot.campaign.pacing import busy_agents

    cfg = console.settings.campaign
    now = time.time() if now is None else now
    override = console.client.get(keys.AGENTS_FREE_OVERRIDE)
    agents = int(override) if override not in (None, "") else cfg.human_agents
    busy = busy_agents(console.client, now, cfg.agent_handle_s, console.settings.supervisor.agent_wrap_up_s)
    return {"agents": agents, "override": override is not None, "busy": busy, "free": max(0, agents - busy)}


def register(app: FastAPI, console: Console) -> None:
    @app.post("/api/campaigns/{name:campaign}/status")
    def set_status(name: str, body: StatusChange, request: Request,
                   session: ConsoleSession = Depends(require_supervisor_csrf)) -> dict[str, Any]:
        from voicebot.campaign.campaign import Campaign

        if body.status not in CONTROLLABLE:
            raise ApiError(400, "campaign_bad_status", status=body.status[:64],
                           choices=[Label("camp.status", s) for s in CONTROLLABLE])
        if not console.client.sismember(keys.CAMPAIGNS, name):
            raise ApiError(404, "no_campaign", name=name)
        campaign = Campaign(console.client, name)
        if campaign.status not in CONTROLLABLE[body.status]:
            raise ApiError(409, "campaign_cannot_change", name=name, status=Label("camp.status", campaign.status),
                           target=Label("camp.status", body.status))
        campaign.set_status(body.status)
        console.audit(request, "campaign", session.user, campaign=name, status=body.status)
        return {"campaign": name, "status": body.status}

    @app.post("/api/agents")
    def set_agents(body: AgentsAvailable, request: Request,
                   session: ConsoleSession = Depends(require_supervisor_csrf)) -> dict[str, Any]:
        """Pacing from the console: how many agents take transfers now (the dialer paces to it)."""
        if body.available is None:
            console.client.delete(keys.AGENTS_FREE_OVERRIDE)
        else:
            console.client.set(keys.AGENTS_FREE_OVERRIDE, body.available)
        console.audit(request, "campaign", session.user, agents_available=body.available)
        return agents_now(console)

    @app.get("/campaigns")
    def campaigns_page(request: Request, session: ConsoleSession = Depends(require_page)) -> Response:
        names = sorted(console.client.smembers(keys.CAMPAIGNS))
        return page(console, request, "campaigns.html", session, names=names)

    @app.get("/api/campaigns")
    def campaigns(session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        return {"campaigns": sorted(console.client.smembers(keys.CAMPAIGNS))}

    @app.get("/api/campaigns/{name:campaign}")
    async def campaign(name: str, session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        data = await asyncio.to_thread(campaign_data, console, name)
        if data is None:
            raise ApiError(404, "no_campaign", name=name)
        if not session.supervisor and data["unanswered"]:
            data["unanswered"] = mask_value(data["unanswered"])  # callers' own words can hold a number
        return data
