"""A person who opens a missing recording, a page their role may not see or a wrong address reads a
small page in the console's language (same status, a link back to the live board), not a JSON body;
the API keeps answering JSON. Real app over a real redis-server."""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.supervisor.conftest import console_settings, login, write_recording
from voicebot.supervisor.errors import ERRORS
from voicebot.supervisor.i18n import STRINGS

DAY = time.strftime("%Y-%m-%d")
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
COLUMN = {"en-US": 0, "zh-CN": 1}
CJK = re.compile(r"[\u4e00-\u9fff]")
PAYLOAD = "<script>alert(1)</script>"


def _app(tmp_path: Path, redis_client):
    from voicebot.supervisor.app import create_app

    settings = console_settings(tmp_path)
    write_recording(settings.paths.recordings_dir, DAY, "rec1", {"started": time.time()}, [])
    return create_app(settings, redis_client)


def _client(app, locale: str, who: str = "") -> TestClient:
    client = TestClient(app)
    client.cookies.set("vb_lang", locale)
    return login(client, who) if who else client


def _assert_error_page(r, status: int, code: str, locale: str) -> str:
    """The page's status, code, words in the reader's language and the way back; returns the page."""
    col = COLUMN[locale]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    assert f'data-code="{code}"' in r.text and f'data-status="{status}"' in r.text
    shown = html.unescape(re.search(r'<p class="error" id="error-detail"[^>]*>(.*?)</p>', r.text).group(1))
    assert shown == ERRORS[code][col]
    assert f'<a href="/live" id="error-back">{STRINGS["error.back"][col]}</a>' in r.text
    assert f'<html lang="{locale}">' in r.text
    heading = re.search(r"<h1>(.*?)</h1>", r.text).group(1)
    assert str(status) in heading and bool(CJK.search(heading)) == (locale == "zh-CN"), heading
    return r.text


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_page_refusals_are_pages_in_the_readers_language(tmp_path, redis_client, locale):
    app = _app(tmp_path, redis_client)
    with _client(app, locale, "sue") as sue, _client(app, locale, "vic") as vic:
        _assert_error_page(sue.get(f"/recordings/{DAY}/nothere", headers=BROWSER), 404, "no_recording", locale)
        page = _assert_error_page(vic.get("/audit", headers=BROWSER), 403, "supervisor_only", locale)
        assert 'id="me">vic' in page  # the console's header: the viewer is still logged in and can go on
        _assert_error_page(sue.get("/no-such-page", headers=BROWSER), 404, "not_found", locale)
        # A link opened without any Accept header (curl, a download manager) is still a page route.
        _assert_error_page(sue.get(f"/files/recordings/{DAY}/nothere.wav"), 404, "no_recording", locale)
        # The API is for the pages' scripts: JSON, worded the same, whatever the client accepts.
        r = sue.get(f"/api/recordings/{DAY}/nothere", headers=BROWSER)
        assert r.status_code == 404 and r.json() == {"detail": ERRORS["no_recording"][COLUMN[locale]],
                                                     "code": "no_recording"}
        # A script that asks a page route for JSON only gets JSON.
        r = vic.get("/audit", headers={"accept": "application/json"})
        assert r.status_code == 403 and r.json()["code"] == "supervisor_only"


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_an_address_with_markup_is_shown_escaped(tmp_path, redis_client, locale):
    app = _app(tmp_path, redis_client)
    with _client(app, locale, "sue") as sue, _client(app, locale) as anonymous:
        for client, path in ((sue, f"/recordings/{DAY}/{PAYLOAD}"), (sue, f"/{PAYLOAD}"),
                             (anonymous, f"/nothing/{PAYLOAD}")):
            page = _assert_error_page(client.get(path, headers=BROWSER), 404, "not_found", locale)
            assert "<script>alert" not in page and "alert(1)" in page
            shown = re.search(r'<code id="error-path">(.*?)</code>', page).group(1)
            assert html.unescape(shown) == path and "&lt;script&gt;" in shown
        # A recording id that is markup (one path segment) reaches the recording route: still escaped.
        quoted = "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
        page = _assert_error_page(sue.get(f"/recordings/{DAY}/{quoted}", headers=BROWSER), 404, "no_recording",
                                  locale)
        assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
