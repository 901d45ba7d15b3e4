"""The supervisor console: an ASGI app (FastAPI) over the Redis every bot worker publishes to.

Pages are server-rendered (Jinja2) with small plain-JavaScript files: no front-end build step,
nothing fetched from the internet, no inline script (the CSP forbids it). Every page and API
except /login, /static and /metrics (a bearer token when supervisor.metrics_token is set) needs a
session cookie; audio (listen live, recordings) and interventions need the supervisor role; every state-changing request needs a CSRF token
(security.py). Labels come from one table in both languages (i18n.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import redis
from fastapi import Depends, FastAPI, Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.exceptions import HTTPException as StarletteHTTPException

from voicebot.config import Settings
from voicebot.logs import get_logger
from voicebot.store.events import LIVE_CALLS, RedisEventReader
from voicebot.supervisor import i18n
from voicebot.supervisor.auth import Authenticator, ConsoleSession
from voicebot.supervisor.client_address import ClientAddressResolver
from voicebot.supervisor.console import (  # noqa: F401 - older imports of these from app keep working
    LANG_COOKIE,
    Console,
    NotLoggedIn,
    current_session,
    display_party,
    locale_for,
    page,
    require_api,
    require_csrf,
    require_page,
    require_supervisor,
    require_supervisor_csrf,
)
from voicebot.supervisor.error_pages import error_page, wants_page
from voicebot.supervisor.errors import FRAMEWORK_CODES, ApiError, message
from voicebot.supervisor.recordings import RecordingStore
from voicebot.supervisor.security import (
    PRE_SESSION_COOKIE,
    Busy,
    LoginGate,
    SecurityHeaders,
    StreamLimits,
    client_source,
    new_csrf_token,
    refuse_cross_site,
    tokens_match,
)
from voicebot.supervisor.session_cookie import cookie_name

HERE = Path(__file__).parent
_log = get_logger("voicebot.console")


def create_app(settings: Settings, client: redis.Redis) -> FastAPI:
    app = FastAPI(title="voicebot console", docs_url=None, redoc_url=None, openapi_url=None)
    cfg = settings.supervisor
    app.add_middleware(SecurityHeaders, hsts=cfg.secure_cookies)
    registry = CollectorRegistry()
    console = Console(
        settings, client, Authenticator(cfg, client), RedisEventReader(client),
        RecordingStore(settings.paths.recordings_dir), Jinja2Templates(directory=str(HERE / "templates")),
        registry, Counter("voicebot_console_logins", "Console login attempts", ["result"], registry=registry),
        LoginGate(cfg, client), StreamLimits(cfg),
    )
    registry.register(_ConsoleGauges(console))
    app.state.console = console
    app.state.client_address = ClientAddressResolver.from_config(cfg.trusted_proxies)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    async def reader(request: Request, status: int) -> tuple[str, ConsoleSession | None]:
        # Errors are worded when answered: the language of the request's cookie, account or browser.
        session = await asyncio.to_thread(current_session, request) if status != 401 else None
        return locale_for(request, session), session

    async def refusal(request: Request, status: int, code: str, values: dict[str, Any],
                      headers: dict[str, str] | None = None, **extra: Any) -> Response:
        locale, session = await reader(request, status)
        detail = message(code, locale, **values)
        if wants_page(request):  # a person on a page reads a page, not a JSON body
            return error_page(console.templates, request, status, code, detail, locale, session, headers)
        return JSONResponse({"detail": detail, "code": code, **extra}, status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def _localized(request: Request, exc: ApiError) -> Response:
        return await refusal(request, exc.status_code, exc.code, exc.values, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _framework(request: Request, exc: StarletteHTTPException) -> Response:
        # "Not Found" / "Method Not Allowed" from routing would reach a zh-CN page in English.
        code = FRAMEWORK_CODES.get(exc.status_code)
        if code is None:
            return await http_exception_handler(request, exc)
        return await refusal(request, exc.status_code, code, {}, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # A form the page sent wrongly: one sentence for people, the field list for scripts.
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) or "body" for e in exc.errors()})
        return await refusal(request, 422, "invalid_request", {"fields": fields},
                             errors=jsonable_encoder(exc.errors()))

    @app.exception_handler(NotLoggedIn)
    async def _to_login(request: Request, _exc: NotLoggedIn) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    def login_page(request: Request, next: str, error: str = "", status: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
        token = request.cookies.get(PRE_SESSION_COOKIE) or new_csrf_token()
        locale = locale_for(request)
        response = console.templates.TemplateResponse(
            request, "login.html", {"next": _safe_next(next), "error": error, "csrf": token, "locale": locale,
                                    "t": i18n.translator(locale), "session": None}, status_code=status,
            headers=headers)
        response.set_cookie(PRE_SESSION_COOKIE, token, httponly=True, samesite="strict",
                            secure=console.secure_cookie(request), path="/login")
        return response

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "/live") -> Response:
        return login_page(request, next)

    @app.post("/login")
    async def login(request: Request, username: str = Form(..., max_length=200),
                    password: str = Form(..., max_length=1000), next: str = Form("/live"),
                    csrf: str = Form("")) -> Response:
        t = i18n.translator(locale_for(request))
        refuse_cross_site(request)
        if not tokens_match(csrf, request.cookies.get(PRE_SESSION_COOKIE)):
            return login_page(request, next, t("login.expired_form"), 403)
        source = client_source(request)
        wait, first = console.gate.spend(source)
        if wait:
            console.logins.labels("throttled").inc()
            if first:
                console.audit(request, "login_throttled", username[:64], window_s=cfg.login_window_s)
            return login_page(request, next, t("login.throttled"), 429, {"Retry-After": str(wait)})
        try:
            result = await console.gate.run(lambda: console.auth.login(username, password, source))
        except Busy:
            console.logins.labels("busy").inc()
            return login_page(request, next, t("login.busy"), 429, {"Retry-After": "2"})
        if result.status == "locked":
            console.logins.labels("locked").inc()
            console.audit(request, "login_locked", username[:64], minutes=max(1, result.retry_after_s // 60))
            return login_page(request, next, t("login.locked", minutes=max(1, round(result.retry_after_s / 60))),
                              429, {"Retry-After": str(result.retry_after_s)})
        session = result.session
        if session is None:
            console.logins.labels("refused").inc()
            _log.warning("console_login_refused", user=username[:64], source=source)
            console.audit(request, "login_refused", username[:64])
            return login_page(request, next, t("login.wrong"), 401)
        console.logins.labels("ok").inc()
        _log.info("console_login", user=username, role=session.role)
        console.audit(request, "login", session.user, role=session.role)
        response = RedirectResponse(_safe_next(next), status_code=303)
        secure = console.secure_cookie(request)
        response.set_cookie(cookie_name(secure), session.token, max_age=cfg.session_ttl_s, httponly=True,
                            samesite="strict", secure=secure, path="/")
        response.delete_cookie(PRE_SESSION_COOKIE, path="/login")
        return response

    @app.post("/logout")
    async def logout(request: Request, session: ConsoleSession = Depends(require_csrf)) -> Response:
        console.auth.logout(session.token)
        console.audit(request, "logout", session.user)
        response = RedirectResponse("/login", status_code=303)
        secure = console.secure_cookie(request)
        response.delete_cookie(cookie_name(secure), path="/", secure=secure, httponly=True, samesite="strict")
        return response

    @app.post("/lang")
    async def set_language(request: Request, locale: str = Form(...), back: str = Form("/live"),
                           session: ConsoleSession = Depends(require_csrf)) -> Response:
        if locale not in i18n.LOCALES:
            raise ApiError(400, "unknown_locale", locale=locale, choices=i18n.LOCALES)
        response = RedirectResponse(_safe_next(back), status_code=303)
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="strict",
                            secure=console.secure_cookie(request))
        return response

    @app.get("/")
    async def index(session: ConsoleSession = Depends(require_page)) -> Response:
        return RedirectResponse("/live", status_code=303)

    @app.get("/api/me")
    async def me(request: Request, session: ConsoleSession = Depends(require_api)) -> dict[str, Any]:
        return {"user": session.user, "role": session.role, "expires": session.expires,
                "locale": locale_for(request, session)}

    @app.get("/metrics")
    def metrics(request: Request) -> Response:
        token = cfg.metrics_token.get_secret_value()
        if token and not tokens_match(request.headers.get("authorization", ""), f"Bearer {token}"):
            return Response("metrics need the bearer token (supervisor.metrics_token)\n", status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    from voicebot.supervisor import (
        routes_audit,
        routes_calls,
        routes_campaign_controls,
        routes_campaigns,
        routes_live,
        routes_recordings,
        routes_wallboard,
    )

    routes_live.register(app, console)
    routes_recordings.register(app, console)
    routes_campaigns.register(app, console)
    routes_campaign_controls.register(app, console)
    routes_wallboard.register(app, console)
    routes_calls.register(app, console)
    routes_audit.register(app, console)
    return app


def _safe_next(target: str) -> str:
    """Only local paths: a login link must not bounce the user to another site."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target and len(target) < 500 \
        and not any(ord(c) < 0x20 or c == "\x7f" for c in target)  # browsers drop tabs/newlines: "/\t/evil"
    return target if ok else "/live"


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
