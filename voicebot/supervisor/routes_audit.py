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
    async def audit_entries(action: str = "", user: str = "", call_id: str = "", limit: int = 100,
                            before: str = "", session: ConsoleSession = Depends(require_supervisor)) -> dict[str, Any]:
        if action and action not in audit.ACTIONS:
            raise HTTPException(400, f"unknown action {action!r}")
        if before and not (before.isdigit() and len(before) < 20):
            raise HTTPException(400, f"before is the cursor of a previous page (digits), got {before[:40]!r}")
        if not 1 <= limit <= 500:
            raise HTTPException(400, f"limit is 1..500 entries a page, got {limit}")
        result = await asyncio.to_thread(audit.page, console.client, limit, before, action, user[:64], call_id[:200])
        return {"entries": result.entries, "next_before": result.next_before}
