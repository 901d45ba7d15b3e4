"""Campaign controls from the console: pacing and calling hours (voicebot.campaign.controls).

Supervisors only and CSRF-checked, like pause / resume; every change is audited with the value
before and after. A bad value is refused with 400 naming the field, in the user's language, and
nothing is stored.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Body, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from voicebot.campaign.controls import ControlError, change_controls, read_controls
from voicebot.locales import is_chinese
from voicebot.store import keys
from voicebot.supervisor import i18n
from voicebot.supervisor.auth import ConsoleSession
from voicebot.supervisor.console import Console, locale_for, require_api, require_supervisor_csrf
from voicebot.supervisor.errors import ApiError
from voicebot.supervisor.routes_campaigns import CampaignName  # noqa: F401  (registers {name:campaign})


def register(app: FastAPI, console: Console) -> None:
    def known(name: str) -> keys.CampaignKeys:
        if len(name) > 200 or not console.client.sismember(keys.CAMPAIGNS, name):
            raise ApiError(404, "no_campaign", name=name)
        return keys.CampaignKeys(name)

    @app.get("/api/campaigns/{name:campaign}/controls")
    def get_controls(name: str, session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        return read_controls(console.client, known(name), console.settings.campaign).as_dict()

    @app.post("/api/campaigns/{name:campaign}/controls", response_model=None)
    async def set_controls(name: str, request: Request, body: dict[str, Any] = Body(...),
                           session: ConsoleSession = Depends(require_supervisor_csrf)) -> Any:
        ck = await asyncio.to_thread(known, name)
        try:
            changes = await asyncio.to_thread(change_controls, console.client, ck, console.settings.campaign, body)
        except ControlError as exc:
            locale = locale_for(request, session)
            field = i18n.value_label(locale, "camp.field", exc.field)  # an unknown field is shown as sent
            colon = "：" if is_chinese(locale) else ": "
            message = f"{field}{colon}{i18n.translator(locale)('camp.err.' + exc.code, **exc.values)}"
            return JSONResponse({"detail": message, "field": exc.field}, status_code=400)
        if changes:
            await asyncio.to_thread(console.audit, request, "campaign_controls", session.user, campaign=name,
                                    changes=[{"field": c.field, "from": c.before, "to": c.after} for c in changes])
        controls = await asyncio.to_thread(read_controls, console.client, ck, console.settings.campaign)
        return {**controls.as_dict(), "changed": [c.field for c in changes]}
