"""Recordings: search, the player page (transcript, emotion timeline, escalations), safe file serving."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response

from voicebot.logs import get_logger
from voicebot.supervisor.app import Console, page, require_api, require_page, require_supervisor
from voicebot.supervisor.auth import ConsoleSession
from voicebot.supervisor.masking import mask_number, mask_uri
from voicebot.supervisor.recordings import DAY, RecordingQuery

_log = get_logger("voicebot.console.recordings")


def present_entry(entry: dict[str, Any], session: ConsoleSession) -> dict[str, Any]:
    if session.supervisor:
        return entry
    customer = {k: v for k, v in entry["customer"].items() if k != "phone"}
    return {**entry, "remote": mask_uri(entry["remote"]), "customer": customer}


def present_transcript(lines: list[dict[str, Any]], session: ConsoleSession) -> list[dict[str, Any]]:
    if session.supervisor:
        return lines
    return [{**t, "text": mask_number(str(t.get("text", "")))} for t in lines]


def register(app: FastAPI, console: Console) -> None:
    store = console.recordings

    @app.get("/recordings")
    async def recordings_page(request: Request, session: ConsoleSession = Depends(require_page)) -> Response:
        return page(console, request, "recordings.html", session)

    @app.get("/api/recordings")
    async def search(date_from: str = "", date_to: str = "", customer: str = "", outcome: str = "", grade: str = "",
                     segment: str = "", limit: int = 200,
                     session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        for value in (date_from, date_to):
            if value and not DAY.match(value):
                raise HTTPException(400, f"dates are YYYY-MM-DD, got {value!r}")
        query = RecordingQuery(date_from, date_to, customer.strip(), outcome, grade, segment, max(1, min(limit, 1000)),
                               include_numbers=session.supervisor)
        entries = await asyncio.to_thread(store.search, query)
        return {"recordings": [present_entry(e, session) for e in entries]}

    @app.get("/recordings/{day}/{call_id}")
    def recording_page(request: Request, day: str, call_id: str,
                             session: ConsoleSession = Depends(require_page)) -> Response:
        entry = store.entry(day, call_id)
        if entry is None:
            raise HTTPException(404, "no such recording")
        return page(console, request, "recording.html", session, entry=present_entry(entry, session))

    @app.get("/api/recordings/{day}/{call_id}")
    def recording_detail(day: str, call_id: str, session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        entry = store.entry(day, call_id)
        if entry is None:
            raise HTTPException(404, "no such recording")
        return {"recording": present_entry(entry, session),
                "transcript": present_transcript(store.transcript(day, call_id), session)}

    @app.get("/files/recordings/{rel:path}")
    def recording_file(rel: str, download: bool = False,
                             session: ConsoleSession = Depends(require_supervisor)) -> Response:
        # ``rel`` is "<day>/<call-id>.<kind>"; anything else (.., absolute, encoded slashes) is refused
        # before the file system is touched, and the resolved path must stay inside recordings_dir.
        parts = rel.split("/")
        if len(parts) != 2 or "." not in parts[1]:
            _log.warning("recording_path_refused", user=session.user, path=rel[:200])
            raise HTTPException(404, "no such recording")
        call_id, kind = parts[1].rsplit(".", 1)
        path = store.path(parts[0], call_id, kind)
        if path is None:
            _log.warning("recording_path_refused", user=session.user, path=rel[:200])
            raise HTTPException(404, "no such recording")
        _log.info("recording_served", user=session.user, call_id=call_id, kind=kind, download=download)
        return FileResponse(path, media_type="audio/wav" if kind == "wav" else "application/octet-stream",
                            filename=path.name if download else None,
                            content_disposition_type="attachment" if download else "inline")
