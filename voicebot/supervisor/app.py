"""The supervisor console: an ASGI app (FastAPI) over the Redis every bot worker publishes to.

Pages are server-rendered (Jinja2) with small plain-JavaScript files: no front-end build step,
nothing fetched from the internet. Every page and API except /login, /static and /metrics needs a
session cookie; audio (listen live, recordings) needs the supervisor role.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily

from voicebot.config import Settings
from voicebot.logs import get_logger
from voicebot.store.events import LIVE_CALLS, RedisEventReader
from voicebot.supervisor.auth import Authenticator, ConsoleSession
from voicebot.supervisor.recordings import RecordingStore

HERE = Path(__file__).parent
COOKIE = "vb_session"
_log = get_logger("voicebot.console")


class NotLoggedIn(Exception):
    """A page request without a valid session: redirect to the login page."""


@dataclass
class Console:
    settings: Settings
    client: redis.Redis
    auth: Authenticator
    reader: RedisEventReader
    recordings: RecordingStore
    templates: Jinja2Templates
    registry: CollectorRegistry
    logins: Counter
    sse_clients: int = 0
    listeners: int = 0


def current_session(request: Request) -> ConsoleSession | None:
    console: Console = request.app.state.console
    return console.auth.session(request.cookies.get(COOKIE))


def require_api(request: Request) -> ConsoleSession:
    session = current_session(request)
    if session is None:
        raise HTTPException(401, "login required")
    return session


def require_page(request: Request) -> ConsoleSession:
    session = current_session(request)
    if session is None:
        raise NotLoggedIn()
    return session


def require_supervisor(session: ConsoleSession = Depends(require_api)) -> ConsoleSession:
    if not session.supervisor:
        raise HTTPException(403, "supervisor role required")
    return session


def create_app(settings: Settings, client: redis.Redis) -> FastAPI:
    app = FastAPI(title="voicebot console", docs_url=None, redoc_url=None, openapi_url=None)
    registry = CollectorRegistry()
    console = Console(
        settings, client, Authenticator(settings.supervisor, client), RedisEventReader(client),
        RecordingStore(settings.paths.recordings_dir), Jinja2Templates(directory=str(HERE / "templates")),
        registry, Counter("voicebot_console_logins", "Console login attempts", ["result"], registry=registry),
    )
    registry.register(_ConsoleGauges(console))
    app.state.console = console
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(NotLoggedIn)
    async def _to_login(request: Request, _exc: NotLoggedIn) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "/live", error: str = "") -> Response:
        return console.templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": error})

    @app.post("/login")
    async def login(request: Request, username: str = Form(...), password: str = Form(...),
                    next: str = Form("/live")) -> Response:
        import asyncio

        session = await asyncio.to_thread(console.auth.login, username, password)  # PBKDF2: ~0.1 s
        if session is None:
            console.logins.labels("refused").inc()
            _log.warning("console_login_refused", user=username[:64])
            return console.templates.TemplateResponse(
                request, "login.html", {"next": _safe_next(next), "error": "Wrong user name or password."},
                status_code=401)
        console.logins.labels("ok").inc()
        _log.info("console_login", user=username, role=session.role)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(COOKIE, session.token, max_age=settings.supervisor.session_ttl_s, httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        return response

    @app.post("/logout")
    def logout(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        if token:
            console.auth.logout(token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/")
    async def index(session: ConsoleSession = Depends(require_page)) -> Response:
        return RedirectResponse("/live", status_code=303)

    @app.get("/api/me")
    async def me(session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        return {"user": session.user, "role": session.role, "expires": session.expires}

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    from voicebot.supervisor import routes_campaigns, routes_live, routes_recordings

    routes_live.register(app, console)
    routes_recordings.register(app, console)
    routes_campaigns.register(app, console)
    return app


def page(console: Console, request: Request, template: str, session: ConsoleSession, **context: Any) -> Response:
    return console.templates.TemplateResponse(request, template, {"session": session, **context})


def _safe_next(target: str) -> str:
    """Only local paths: a login link must not bounce the user to another site."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/live"


class _ConsoleGauges:
    def __init__(self, console: Console) -> None:
        self.console = console

    def collect(self):
        try:
            live = float(self.console.client.scard(LIVE_CALLS))
        except redis.RedisError:
            live = float("nan")
        yield GaugeMetricFamily("voicebot_console_live_calls", "Calls in progress on every worker", value=live)
        yield GaugeMetricFamily("voicebot_console_stream_clients", "Open live-board streams",
                                value=self.console.sse_clients)
        yield GaugeMetricFamily("voicebot_console_listeners", "Open listen-live sockets", value=self.console.listeners)
