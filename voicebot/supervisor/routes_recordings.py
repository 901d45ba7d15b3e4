"""Recordings: search and CSV export, the player page (transcript, emotion timeline, escalations),
quality review (flag, scorecard, comments) and safe file serving."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from voicebot.logs import get_logger
from voicebot.masking import contains_phone_number, mask_value
from voicebot.supervisor import qa
from voicebot.supervisor.auth import ConsoleSession
from voicebot.supervisor.console import (
    Console,
    locale_for,
    page,
    require_api,
    require_page,
    require_supervisor,
    require_supervisor_csrf,
)
from voicebot.supervisor.errors import ApiError, Invalid
from voicebot.supervisor.rate_limits import COMMENTS
from voicebot.supervisor.recordings import CALL_ID, DAY
from voicebot.supervisor.search import SORTS, SearchQuery, search, to_csv

_log = get_logger("voicebot.console.recordings")


def present_entry(entry: dict[str, Any], session: ConsoleSession) -> dict[str, Any]:
    if session.supervisor:
        return entry
    customer = {k: v for k, v in entry["customer"].items() if k != "phone"}
    return mask_value({**entry, "customer": customer})


def present_transcript(lines: list[dict[str, Any]], session: ConsoleSession) -> list[dict[str, Any]]:
    return lines if session.supervisor else mask_value(lines)


class Flag(BaseModel):
    flagged: bool


class Score(BaseModel):
    points: dict[str, int]


class Comment(BaseModel):
    text: str = Field(min_length=1, max_length=qa.MAX_COMMENT)


def register(app: FastAPI, console: Console) -> None:
    store = console.recordings

    def query_from(params: dict[str, str]) -> SearchQuery:
        q = SearchQuery()
        for name in ("date_from", "date_to", "customer", "text", "outcome", "grade", "intent", "emotion",
                     "escalated", "segment", "variant", "flagged", "sort"):
            value = params.get(name, "")
            setattr(q, name, value.strip()[:200] if name != "sort" else (value or "newest"))
        for value in (q.date_from, q.date_to):
            if value and not DAY.match(value):
                raise ApiError(400, "bad_date", value=value)
        if q.sort not in SORTS:
            raise ApiError(400, "bad_sort", value=q.sort[:64], choices=SORTS)
        for name in ("min_s", "max_s"):
            if params.get(name):
                try:
                    setattr(q, name, float(params[name]))
                except ValueError:
                    raise ApiError(400, "bad_seconds", value=params[name][:64]) from None
        try:
            q.limit = max(1, min(int(params.get("limit") or 200), 5000))
        except ValueError:
            raise ApiError(400, "bad_limit", value=params["limit"][:64]) from None
        return q

    def run(q: SearchQuery, session: ConsoleSession) -> list[dict[str, Any]]:
        if not session.supervisor and contains_phone_number(q.customer):
            # Matching hidden digits would answer yes/no per digit typed: refused, not silently empty.
            raise ApiError(403, "number_search_supervisors")
        entries = search(store, q, session.supervisor, lambda d, c: qa.is_flagged(console.client, d, c))
        return [present_entry(e, session) for e in entries]

    @app.get("/recordings")
    async def recordings_page(request: Request, session: ConsoleSession = Depends(require_page)) -> Response:
        return page(console, request, "recordings.html", session, sorts=SORTS)

    @app.get("/api/recordings")
    async def search_api(request: Request, session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        q = query_from(dict(request.query_params))
        return {"recordings": await asyncio.to_thread(run, q, session)}

    @app.get("/api/recordings.csv")
    async def export(request: Request, session: ConsoleSession = Depends(require_api)) -> Response:
        q = query_from(dict(request.query_params))
        entries = await asyncio.to_thread(run, q, session)
        # Excel on Chinese Windows reads a CSV in the ANSI code page (GBK): the zh-CN console exports
        # GB18030 (GBK's superset, so no name is lost); English exports UTF-8 with a BOM. ?encoding= overrides.
        encoding = request.query_params.get("encoding") or ("gbk" if locale_for(request, session) == "zh-CN"
                                                             else "utf-8")
        if encoding not in ("gbk", "utf-8"):
            raise ApiError(400, "bad_encoding", value=encoding[:64])
        await asyncio.to_thread(console.audit, request, "export", session.user, rows=len(entries), encoding=encoding)
        text = to_csv(entries, locale_for(request, session))
        body = text.encode("gb18030") if encoding == "gbk" else ("\ufeff" + text).encode("utf-8")
        return Response(body, media_type=f"text/csv; charset={'gb18030' if encoding == 'gbk' else 'utf-8'}",
                        headers={"Content-Disposition": 'attachment; filename="recordings.csv"'})

    @app.get("/recordings/{day}/{call_id}")
    def recording_page(request: Request, day: str, call_id: str,
                       session: ConsoleSession = Depends(require_page)) -> Response:
        entry = store.entry(day, call_id)
        if entry is None:
            raise ApiError(404, "no_recording")
        return page(console, request, "recording.html", session, entry=present_entry(entry, session),
                    criteria=qa.CRITERIA)

    @app.get("/api/recordings/{day}/{call_id}")
    def recording_detail(day: str, call_id: str, session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        entry = store.entry(day, call_id)
        if entry is None:
            raise ApiError(404, "no_recording")
        return {"recording": present_entry(entry, session),
                "transcript": present_transcript(store.transcript(day, call_id), session),
                "review": mask_value(qa.review(console.client, day, call_id)) if not session.supervisor
                else qa.review(console.client, day, call_id)}

    def existing(day: str, call_id: str) -> None:
        if not (DAY.match(day) and CALL_ID.match(call_id)) or store.entry(day, call_id) is None:
            raise ApiError(404, "no_recording")

    @app.post("/api/recordings/{day}/{call_id}/flag")
    def flag(day: str, call_id: str, body: Flag, request: Request,
             session: ConsoleSession = Depends(require_supervisor_csrf)) -> dict[str, Any]:
        existing(day, call_id)
        qa.set_flag(console.client, day, call_id, session.user, body.flagged)
        console.audit(request, "flag" if body.flagged else "unflag", session.user, call_id, day=day)
        return qa.review(console.client, day, call_id)

    @app.post("/api/recordings/{day}/{call_id}/score")
    def score(day: str, call_id: str, body: Score, request: Request,
              session: ConsoleSession = Depends(require_supervisor_csrf)) -> dict[str, Any]:
        existing(day, call_id)
        try:
            result = qa.set_score(console.client, day, call_id, session.user, body.points)
        except Invalid as exc:
            raise ApiError.of(400, exc) from None
        console.audit(request, "score", session.user, call_id, day=day, total=result["total"])
        return qa.review(console.client, day, call_id)

    @app.post("/api/recordings/{day}/{call_id}/comments")
    def comment(day: str, call_id: str, body: Comment, request: Request,
                session: ConsoleSession = Depends(require_supervisor_csrf)) -> dict[str, Any]:
        existing(day, call_id)
        wait = COMMENTS.spend(console.client, session.key)
        if wait:
            raise ApiError(429, "comment_rate", headers={"Retry-After": str(wait)}, limit=COMMENTS.limit, wait=wait)
        try:
            qa.add_comment(console.client, day, call_id, session.user, body.text)
        except Invalid as exc:
            raise ApiError.of(400, exc) from None
        console.audit(request, "comment", session.user, call_id, day=day)
        return qa.review(console.client, day, call_id)

    @app.get("/files/recordings/{rel:path}")
    def recording_file(rel: str, request: Request, download: bool = False,
                       session: ConsoleSession = Depends(require_supervisor)) -> Response:
        # ``rel`` is "<day>/<call-id>.<kind>"; anything else (.., absolute, encoded slashes) is refused
        # before the file system is touched, and the resolved path must stay inside recordings_dir.
        parts = rel.split("/")
        if len(parts) != 2 or "." not in parts[1]:
            _log.warning("recording_path_refused", user=session.user, path=rel[:200])
            raise ApiError(404, "no_recording")
        call_id, kind = parts[1].rsplit(".", 1)
        path = store.path(parts[0], call_id, kind)
        if path is None:
            _log.warning("recording_path_refused", user=session.user, path=rel[:200])
            raise ApiError(404, "no_recording")
        # The player asks for ranges as it seeks: audit the first request of a play, not every range.
        range_header = request.headers.get("range", "")
        if download or not range_header or range_header.startswith("bytes=0-"):
            console.audit(request, "download" if download else "play", session.user, call_id, day=parts[0],
                          kind=kind)
        return FileResponse(path, media_type="audio/wav" if kind == "wav" else "application/octet-stream",
                            filename=path.name if download else None,
                            content_disposition_type="attachment" if download else "inline")
