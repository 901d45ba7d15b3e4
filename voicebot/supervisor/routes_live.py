"""Live calls: the board page, its snapshot and event stream (SSE), and listen-live (WebSocket)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import redis
import redis.asyncio as aioredis
from fastapi import Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response, StreamingResponse

from voicebot.logs import get_logger
from voicebot.masking import mask_value
from voicebot.supervisor.audio_tap import audio_channel, listen_key
from voicebot.supervisor.auth import ConsoleSession
from voicebot.supervisor.console import Console, page, require_api, require_page
from voicebot.supervisor.errors import ApiError
from voicebot.supervisor.event_hub import OVERFLOW, EventHub, id_after
from voicebot.supervisor.live import LiveBoard, LiveCall, fold
from voicebot.supervisor.rate_limits import CLOSE_TOO_MANY, SocketLimits
from voicebot.supervisor.recordings import CALL_ID
from voicebot.supervisor.session_cookie import session_token

_log = get_logger("voicebot.console.live")
LISTEN_TTL_S = 5  # the listener key outlives a dead console by at most this long
# How a closed listen socket shows up: Starlette's disconnect, a send after close (RuntimeError), or
# the server's ClientDisconnected (an OSError) when the browser left while audio was being sent.
CLOSED = (WebSocketDisconnect, RuntimeError, OSError)


SESSION_CHECK_S = 5.0  # how often an open stream re-checks that its session is still valid
KEEPALIVE_S = 15.0


def present_row(row: LiveCall, session: ConsoleSession) -> dict[str, Any]:
    out = row.as_dict()
    if not session.supervisor:
        out["customer"] = {k: v for k, v in out["customer"].items() if k != "phone"}
        out = mask_value(out)  # every field but identifiers: numbers hide in names and notes too
    return out


def present_event(event: dict[str, Any], session: ConsoleSession) -> dict[str, Any]:
    keep = {k: event[k] for k in ("type", "call_id", "ts", "text", "label", "confidence", "reason", "state")
            if k in event}
    if event.get("type") == "instruction" and isinstance(event.get("actions"), list):
        keep["actions"] = [str(a)[:40] for a in event["actions"][:10]]  # what the bot did with the whisper
    return keep if session.supervisor else mask_value(keep)


def async_twin(client: redis.Redis) -> aioredis.Redis:
    """An asyncio client to the same server (binary replies: audio is bytes)."""
    kw = client.connection_pool.connection_kwargs
    if kw.get("path"):
        return aioredis.Redis(unix_socket_path=kw["path"], db=kw.get("db", 0), password=kw.get("password"))
    return aioredis.Redis(host=kw.get("host", "localhost"), port=kw.get("port", 6379), db=kw.get("db", 0),
                          username=kw.get("username"), password=kw.get("password"))


def register(app: FastAPI, console: Console) -> None:
    board = LiveBoard(console.reader)
    sockets = SocketLimits()
    hubs: dict[int, EventHub] = {}  # one per event loop (tests run several TestClients at once)

    def hub() -> EventHub:
        loop = id(asyncio.get_running_loop())
        if loop not in hubs:
            hubs[loop] = EventHub(console.client)
        return hubs[loop]

    @app.get("/live")
    async def live_page(request: Request, session: ConsoleSession = Depends(require_page)) -> Response:
        user = console.settings.supervisor.users.get(session.user)
        return page(console, request, "live.html", session, listen_rate=console.settings.supervisor.listen_rate,
                    has_phone=bool(user and user.phone))

    @app.get("/api/live")
    async def live_snapshot(session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        rows, last_id = await asyncio.to_thread(board.snapshot)
        return {"calls": [present_row(r, session) for r in rows], "last_id": last_id}

    @app.get("/api/live/stream")
    async def live_stream(request: Request, session: ConsoleSession = Depends(require_api)) -> StreamingResponse:
        if not console.streams.acquire(session.key, session.user):
            raise ApiError(429, "too_many_streams")
        return StreamingResponse(_stream(request, session), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def _stream(request: Request, session: ConsoleSession) -> AsyncIterator[str]:
        events = hub().subscribe()  # before the snapshot: nothing falls between the two
        loop = asyncio.get_running_loop()
        try:
            rows_list, last_id = await asyncio.to_thread(board.snapshot)
            rows = {r.call_id: r for r in rows_list}
            yield _sse("snapshot", {"calls": [present_row(r, session) for r in rows_list]})
            next_check = loop.time() + SESSION_CHECK_S
            while not await request.is_disconnected():
                if loop.time() >= next_check:
                    next_check = loop.time() + SESSION_CHECK_S
                    if await asyncio.to_thread(console.auth.session, session.token) is None:
                        yield _sse("expired", {})
                        return
                try:
                    ev = await asyncio.wait_for(events.get(), timeout=min(SESSION_CHECK_S, KEEPALIVE_S))
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if ev is OVERFLOW:
                    yield _sse("resync", {})
                    return
                if not id_after(ev.id, last_id):
                    continue  # already in the snapshot
                row = fold(rows, ev.data, ev.id)
                if row is None:
                    continue
                yield _sse("update", {"row": present_row(row, session), "event": present_event(ev.data, session)})
                if row.state == "ended":
                    rows.pop(row.call_id, None)
        finally:
            hub().unsubscribe(events)
            console.streams.release(session.key, session.user)

    @app.websocket("/ws/listen/{call_id}")
    async def listen(ws: WebSocket, call_id: str) -> None:
        token = session_token(ws.headers.get("cookie"), console.secure_cookie(ws))
        session = await asyncio.to_thread(console.auth.session, token)
        origin = ws.headers.get("origin")
        if origin and urlsplit(origin).netloc != ws.headers.get("host"):
            await ws.close(code=4403)  # another site's page using our cookie (cross-site WebSocket hijacking)
            return
        if session is None or not session.supervisor or not CALL_ID.match(call_id):
            await ws.close(code=4403 if session else 4401)
            return
        await ws.accept()
        if not sockets.acquire(session.key):
            # Accepted first so the browser sees the code and reason (a refusal before accept is a bare 403).
            await ws.close(code=CLOSE_TOO_MANY, reason=f"at most {sockets.per_session} listen sockets per session")
            return
        console.listeners += 1
        _log.info("listen_live", call_id=call_id, user=session.user)
        await asyncio.to_thread(console.audit, None, "listen", session.user, call_id,
                                source=ws.client.host if ws.client else "")
        aio = async_twin(console.client)
        pubsub = aio.pubsub()
        try:
            await pubsub.subscribe(audio_channel(call_id))
            await aio.set(listen_key(call_id), session.user, ex=LISTEN_TTL_S)
            await ws.send_text(json.dumps({"type": "format", "rate": console.settings.supervisor.listen_rate,
                                           "encoding": "s16le", "channels": 1}))
            refresh = asyncio.get_running_loop().time() + LISTEN_TTL_S / 2
            closed = asyncio.ensure_future(_wait_closed(ws))
            while not closed.done():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                if message and message["type"] == "message":
                    await ws.send_bytes(message["data"])
                now = asyncio.get_running_loop().time()
                if now >= refresh:
                    refresh = now + LISTEN_TTL_S / 2
                    if not await aio.sismember("voicebot:calls:live", call_id):
                        await ws.send_text(json.dumps({"type": "ended"}))
                        break
                    await aio.set(listen_key(call_id), session.user, ex=LISTEN_TTL_S)
            closed.cancel()
        except CLOSED:
            pass  # the browser went away mid-send: the normal end of listening, not an error to log
        finally:
            console.listeners -= 1
            sockets.release(session.key)
            try:
                # The listener key is left to expire (TTL): another supervisor may be listening too.
                await pubsub.aclose()
                await aio.aclose()
            except redis.RedisError:
                pass
            try:
                await ws.close()
            except CLOSED:
                pass


async def _wait_closed(ws: WebSocket) -> None:
    """Reads (and ignores) client messages until the browser closes the socket."""
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
    except CLOSED:
        return


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
