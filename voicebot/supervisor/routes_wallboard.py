"""The wallboard page and its figures (polled every few seconds)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from voicebot.supervisor.auth import ConsoleSession
from voicebot.supervisor.console import Console, page, require_api, require_page
from voicebot.supervisor.live import LiveBoard
from voicebot.supervisor.routes_campaigns import agents_now
from voicebot.supervisor.wallboard import Wallboard


def register(app: FastAPI, console: Console) -> None:
    board = LiveBoard(console.reader)
    wall = Wallboard(console.client, console.settings.supervisor.wallboard)

    @app.get("/wallboard")
    async def wallboard_page(request: Request, session: ConsoleSession = Depends(require_page)) -> Response:
        return page(console, request, "wallboard.html", session)

    @app.get("/api/wallboard")
    async def wallboard(session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        def figures() -> dict[str, Any]:
            rows, _ = board.snapshot()
            return wall.figures(rows, agents_now(console))
        return await asyncio.to_thread(figures)
