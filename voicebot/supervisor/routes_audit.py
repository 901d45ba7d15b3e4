"""The audit page: who logged in, listened, downloaded, intervened or reviewed what (supervisors only)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from voicebot.supervisor import audit
from voicebot.supervisor.auth import ConsoleSession
from voicebot.supervisor.console import Console, page, require_page, require_supervisor
from voicebot.supervisor.errors import ApiError


def register(app: FastAPI, console: Console) -> None:
    @app.get("/audit")
    async def audit_page(request: Request, session: ConsoleSession = Depends(require_page)) -> Response:
        if not session.supervisor:
            raise ApiError(403, "supervisor_only")
        return page(console, request, "audit.html", session, actions=audit.ACTIONS)

    @app.get("/api/audit")
    async def audit_entries(action: str = "", user: str = "", call_id: str = "", limit: int = 100,
                            before: str = "", session: ConsoleSession = Depends(require_supervisor)) -> dict[str, Any]:
        if action and action not in audit.ACTIONS:
            raise ApiError(400, "audit_unknown_action", action=action[:64])
        if before and not (before.isdigit() and len(before) < 20):
            raise ApiError(400, "audit_bad_cursor", value=before[:40])
        if not 1 <= limit <= 500:
            raise ApiError(400, "audit_bad_limit", value=limit)
        result = await asyncio.to_thread(audit.page, console.client, limit, before, action, user[:64], call_id[:200])
        return {"entries": result.entries, "next_before": result.next_before}
