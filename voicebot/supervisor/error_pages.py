"""Refusals on browser pages answered as a small page in the reader's language, not as JSON.

The API (``/api/...``) answers ``{"detail", "code"}``: the pages' scripts show ``detail`` and
scripts branch on ``code``. A person who opens a recording that is gone, a page their role may not
see or a wrong address reads the same words (errors.ERRORS) on a page with the same status and a
link back to the live board. Jinja escapes everything shown, the address included.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from voicebot.supervisor import i18n
from voicebot.supervisor.auth import ConsoleSession


def wants_page(request: Request) -> bool:
    """A person's browser: not the API, and not a client that asked for JSON only."""
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept or "application/json" not in accept


def error_page(templates: Jinja2Templates, request: Request, status: int, code: str, detail: str, locale: str,
               session: ConsoleSession | None, headers: dict[str, str] | None = None) -> Response:
    # The session (when there is one) gives the page the console's header and navigation.
    return templates.TemplateResponse(request, "error.html", {
        "session": session, "csrf": session.csrf if session else "", "locale": locale,
        "t": i18n.translator(locale), "strings": None, "path": request.url.path,
        "status": status, "code": code, "detail": detail}, status_code=status, headers=headers)
