"""The audit page: who logged in, listened, downloaded, intervened or reviewed what (supervisors only)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response

from voicebot.supervisor import audit
from voicebot.supervisor.app import Console, page, require_page, require_supervisor
from voicebot.supervisor.auth import ConsoleSession


def register(app: FastAPI, console: Console) -> None:
    @app.get("/audit")
    async def audit_page(request: Request, session: ConsoleSession = Depends(require_page)) -> Response:
        if not session.supervisor:
            raise HTTPException(403, "supervisor role required")
        return page(console, request, "audit.html", session, actions=audit.ACTIONS)

    @app.get("/api/audit")
    async def audit_entries(action: str = "", user: str = "", call_id: str = "", limit: int = 500,
                            session: ConsoleSession = Depends(require_supervisor)) -> dict[str, Any]:
        if action and action not in audit.ACTIONS:
            raise HTTPException(400, f"unknown action {action!r}")
        entries = await asyncio.to_thread(audit.recent, console.client, max(1, min(limit, 2000)), action,
                                          user[:64], call_id[:200])
        return {"entries": entries}
