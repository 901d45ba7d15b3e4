"""Web hardening for the console: response headers, CSRF tokens, login throttling, stream limits.

* Headers on every response: a CSP that allows only the console's own scripts and styles (no
  inline script, no framing), X-Frame-Options, nosniff, Referrer-Policy, and ``no-store`` on
  everything but /static (pages, APIs and recordings carry personal data).
* CSRF: every state-changing request carries a token. Before login it is a random cookie
  (SameSite=Strict) echoed in the form (double submit); after login it is the session's token, in
  the form field ``csrf`` or the ``X-CSRF-Token`` header. A request whose Origin is another site is
  refused whatever it carries.
* Logins: an attempt budget per source address, and the password KDF (deliberately slow) runs in
  its own small pool with a bounded queue, so a flood of logins answers 429 instead of starving the
  pages supervisors are using.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

import redis
from fastapi import Request

from voicebot.config import SupervisorConfig
from voicebot.supervisor.errors import ApiError

T = TypeVar("T")
PRE_SESSION_COOKIE = "vb_csrf"
CSRF_HEADER = "x-csrf-token"
SOURCE_PREFIX = "voicebot:console:attempts:"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer makes Chromium send "Origin: null" on our own forms
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Pure ASGI middleware (streams pass through untouched, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: Any, hsts: bool = False) -> None:
        self.app = app
        # Behind TLS (secure_cookies): browsers keep to HTTPS for a year once they have seen it.
        self.extra = [(b"strict-transport-security", b"max-age=31536000")] if hsts else []

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control" or static]
                headers += HEADERS + self.extra
                headers.append((b"cache-control", b"no-cache" if static else b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (Origin, else Referer)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    return urlsplit(origin).netloc == request.headers.get("host")


def tokens_match(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(str(given), str(expected))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


async def submitted_token(request: Request) -> str:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/")):
        form = await request.form()
        return str(form.get("csrf") or "")
    return ""


def refuse_cross_site(request: Request) -> None:
    if not same_origin(request):
        raise ApiError(403, "cross_site")


def client_source(request: Request) -> str:
    """The client's address: the TCP peer, or the one a trusted reverse proxy forwards (client_address.py)."""
    peer = request.client.host if request.client else "unknown"
    resolver = getattr(request.app.state, "client_address", None)
    return resolver.resolve(peer, request.headers) if resolver is not None else peer


class LoginGate:
    """Attempt budget per source, and the KDF pool: ``await gate.run(source, fn)`` or HTTP 429."""

    def __init__(self, cfg: SupervisorConfig, client: redis.Redis) -> None:
        self.cfg, self.client = cfg, client
        self.pool = ThreadPoolExecutor(max_workers=max(1, cfg.kdf_concurrency), thread_name_prefix="console-kdf")
        self.waiting = 0

    def spend(self, source: str) -> tuple[int, bool]:
        """Counts one attempt for ``source``: (seconds to wait when over budget else 0, first refusal in
        this window) — the first refusal is audited, the flood after it only counted."""
        key = SOURCE_PREFIX + source
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, self.cfg.login_window_s, nx=True)
        pipe.ttl(key)
        count, _, ttl = pipe.execute()
        over = int(count) - self.cfg.login_attempts_per_source
        return (max(1, int(ttl)) if over > 0 else 0), over == 1

    async def run(self, fn: Callable[[], T]) -> T:
        if self.waiting >= self.cfg.kdf_concurrency + self.cfg.kdf_queue:
            raise Busy()
        self.waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, fn)
        finally:
            self.waiting -= 1


class Busy(Exception):
    """Too many logins in flight: answer 429 at once."""


class StreamLimits:
    """Open live-board streams per session and in total."""

    def __init__(self, cfg: SupervisorConfig) -> None:
        self.cfg = cfg
        self.per_session: Counter[str] = Counter()
        self.per_user: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.per_session.values())

    def acquire(self, key: str, user: str = "") -> bool:
        if self.per_session[key] >= self.cfg.max_streams_per_session or self.total >= self.cfg.max_streams \
                or self.per_user[user] >= self.cfg.max_streams_per_user:
            return False
        self.per_session[key] += 1
        self.per_user[user] += 1
        return True

    def release(self, key: str, user: str = "") -> None:
        for counter, name in ((self.per_session, key), (self.per_user, user)):
            counter[name] -= 1
            if counter[name] <= 0:
                del counter[name]
