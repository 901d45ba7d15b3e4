"""The session cookie: its name, and reading it so that a tossed-in cookie never becomes the session.

Browsers do not isolate cookies by port: a page on another port of the same host (or a sibling
subdomain) can set its own ``vb_session`` for the console, and the supervisor's console then ran
as the attacker's viewer. Two defences:

* over HTTPS the cookie is ``__Host-vb_session``: a browser accepts that name only from a secure
  origin, with ``Path=/`` and no ``Domain``, so no other port or subdomain can set it;
* a request that carries the session name twice (a second cookie with a narrower path, or one set
  from elsewhere beside ours) has no session at all: the user logs in again instead of silently
  becoming someone else. Plain-HTTP consoles are still open to a same-host overwrite; the
  deployment docs say to serve the console over TLS.
"""

from __future__ import annotations

from voicebot.logs import get_logger

PLAIN = "vb_session"
SECURE = "__Host-vb_session"
_log = get_logger("voicebot.console")


def cookie_name(secure: bool) -> str:
    return SECURE if secure else PLAIN


def session_token(cookie_header: str | None, secure: bool) -> str | None:
    """The session token of a request's raw ``Cookie`` header; None when absent or sent twice."""
    name = cookie_name(secure)
    values = []
    for part in (cookie_header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            values.append(value.strip().strip('"'))
    if len(values) > 1:
        _log.warning("console_cookie_tossed", cookie=name, copies=len(values),
                     detail="the session cookie came twice: another page set one; no session until login")
        return None
    return values[0] if values else None
