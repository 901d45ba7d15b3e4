"""The console's shared request pieces: the Console state, the login and CSRF dependencies, the reader's language
and page rendering. The app and every route module use them; its own module so routes do not import the app
that registers them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import redis
from fastapi import Depends, Request, WebSocket
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from prometheus_client import CollectorRegistry, Counter

from voicebot.config import Settings
from voicebot.store.events import RedisEventReader
from voicebot.supervisor import audit, i18n
from voicebot.supervisor.auth import Authenticator, ConsoleSession
from voicebot.supervisor.errors import ApiError
from voicebot.supervisor.recordings import RecordingStore
from voicebot.supervisor.security import LoginGate, StreamLimits, client_source, refuse_cross_site, submitted_token, tokens_match
from voicebot.supervisor.session_cookie import session_token

LANG_COOKIE = "vb_lang"


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
    gate: LoginGate
    streams: StreamLimits
    listeners: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sse_clients(self) -> int:
        return self.streams.total

    def audit(self, request: Request | None, action: str, user: str, call_id: str = "", source: str = "",
              **detail: Any) -> None:
        source = source or (client_source(request) if request is not None else "")
        audit.record(self.client, audit.AuditEntry(action, user, source, call_id, detail))

    def secure_cookie(self, request: Request | WebSocket) -> bool:
        return self.settings.supervisor.secure_cookies or request.url.scheme in ("https", "wss")


def current_session(request: Request) -> ConsoleSession | None:
    console: Console = request.app.state.console
    return console.auth.session(session_token(request.headers.get("cookie"), console.secure_cookie(request)))


def require_api(request: Request) -> ConsoleSession:
    session = current_session(request)
    if session is None:
        raise ApiError(401, "login_required")
    return session


def require_page(request: Request) -> ConsoleSession:
    session = current_session(request)
    if session is None:
        raise NotLoggedIn()
    return session


def require_supervisor(session: ConsoleSession = Depends(require_api)) -> ConsoleSession:
    if not session.supervisor:
        raise ApiError(403, "supervisor_only")
    return session


async def require_csrf(request: Request, session: ConsoleSession = Depends(require_api)) -> ConsoleSession:
    """Any state-changing request of a logged-in user: same site, and the session's CSRF token."""
    refuse_cross_site(request)
    if not tokens_match(await submitted_token(request), session.csrf):
        raise ApiError(403, "csrf")
    return session


def require_supervisor_csrf(session: ConsoleSession = Depends(require_csrf)) -> ConsoleSession:
    if not session.supervisor:
        raise ApiError(403, "supervisor_only")
    return session


def locale_for(request: Request, session: ConsoleSession | None = None) -> str:
    console: Console = request.app.state.console
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in i18n.LOCALES:
        return chosen
    if session is not None:
        account = console.settings.supervisor.users.get(session.user)
        if account is not None and account.locale in i18n.LOCALES:
            return account.locale
    return i18n.from_accept_language(request.headers.get("accept-language", ""))


def page(console: Console, request: Request, template: str, session: ConsoleSession, **context: Any) -> Response:
    locale = locale_for(request, session)
    return console.templates.TemplateResponse(request, template, {
        "session": session, "csrf": session.csrf, "locale": locale, "t": i18n.translator(locale),
        "label": lambda prefix, value: i18n.value_label(locale, prefix, value), "party": display_party,
        "strings": i18n.client_strings(locale), "path": request.url.path, **context})


def display_party(uri: str | None) -> str:
    """A SIP URI as a person reads it: '"Ada" <sip:+86138...@pbx>' -> 'Ada', 'sip:+86138...@pbx' -> '+86138...'."""
    text = uri or ""
    named = re.match(r'^\s*"([^"]+)"', text)
    if named and named.group(1).strip():
        return named.group(1).strip()
    user = re.search(r"(?:sips?:|tel:)([^@;>]+)", text)
    return user.group(1) if user else text
