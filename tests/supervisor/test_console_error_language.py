"""Every API refusal the pages show reads in the console's language: Chinese for a zh-CN reader, English
for an English one, with the same stable ``code`` for scripts (voicebot.supervisor.errors). A page
route (the language form) answers a page with those words (error_pages.py)."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.supervisor.conftest import HASHES, PASSWORDS, console_settings, csrf_of, post_login, write_recording
from voicebot.campaign import keys
from voicebot.config import ConsoleUser
from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink
from voicebot.supervisor.errors import ERRORS

DAY = time.strftime("%Y-%m-%d")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Latin words a Chinese supervisor reads as they are: encodings and the SIP scheme.
ALLOWED_IN_ZH = {"GBK", "UTF", "sip"}
WORD = re.compile(r"[A-Za-z]{2,}")

# (code, who, method, path, body, status, values the user sent that the message may echo as they are)
CASES: list[tuple[str, str, str, str, object, int, tuple[str, ...]]] = [
    ("login_required", "", "GET", "/api/live", None, 401, ()),
    ("supervisor_only", "vic", "GET", "/api/audit", None, 403, ()),
    ("csrf", "sue", "POST", "/api/agents", {"available": 1}, 403, ()),
    ("cross_site", "sue", "POST", "/api/agents", {"available": 1}, 403, ()),
    ("not_found", "sue", "GET", "/api/nothing-here", None, 404, ()),
    ("method_not_allowed", "sue", "DELETE", "/api/live", None, 405, ()),
    ("invalid_request", "sue", "POST", "/api/agents", {"available": "many"}, 422, ()),
    ("unknown_locale", "sue", "POST", "/lang", {"locale": "fr-FR"}, 400, ("fr-FR",)),
    ("audit_unknown_action", "sue", "GET", "/api/audit?action=dance", None, 400, ("dance",)),
    ("audit_bad_cursor", "sue", "GET", "/api/audit?before=abc", None, 400, ("abc",)),
    ("audit_bad_limit", "sue", "GET", "/api/audit?limit=0", None, 400, ()),
    ("no_live_call", "sue", "POST", "/api/calls/gone1/transfer", None, 404, ()),
    ("whisper_empty", "sue", "POST", "/api/calls/live1/whisper", {"text": "   "}, 400, ()),
    ("no_call_action", "sue", "POST", "/api/calls/live1/dance", None, 404, ("dance",)),
    ("no_phone", "sue", "POST", "/api/calls/live1/barge", None, 409, ("supervisor.users.sue.phone", "sue")),
    ("bad_phone", "ann", "POST", "/api/calls/live1/barge", None, 400, ("8001",)),
    ("no_campaign", "sue", "GET", "/api/campaigns/nothere", None, 404, ("nothere",)),
    ("campaign_bad_status", "sue", "POST", "/api/campaigns/promo/status", {"status": "deleted"}, 400,
     ("deleted",)),
    ("campaign_cannot_change", "sue", "POST", "/api/campaigns/promo/status", {"status": "running"}, 409,
     ("promo",)),
    ("too_many_streams", "sue", "GET", "/api/live/stream", None, 429, ()),
    ("bad_date", "sue", "GET", "/api/recordings?date_from=1/2/2026", None, 400, ("1/2/2026", "2026-03-01")),
    ("bad_sort", "sue", "GET", "/api/recordings?sort=upside", None, 400, ("upside",)),
    ("bad_seconds", "sue", "GET", "/api/recordings?min_s=long", None, 400, ("long",)),
    ("bad_limit", "sue", "GET", "/api/recordings?limit=lots", None, 400, ("lots",)),
    ("number_search_supervisors", "vic", "GET", "/api/recordings?customer=13812345678", None, 403, ()),
    ("bad_encoding", "sue", "GET", "/api/recordings.csv?encoding=latin1", None, 400, ("latin1",)),
    ("no_recording", "sue", "GET", f"/api/recordings/{DAY}/nothere", None, 404, ()),
    ("comment_empty", "sue", "POST", f"/api/recordings/{DAY}/rec1/comments", {"text": "  "}, 400, ()),
    ("unknown_criterion", "sue", "POST", f"/api/recordings/{DAY}/rec1/score", {"points": {"charm": 1}}, 400,
     ("charm",)),
    ("bad_points", "sue", "POST", f"/api/recordings/{DAY}/rec1/score", {"points": {"greeting": 99}}, 400, ()),
    ("comment_rate", "sue", "POST", f"/api/recordings/{DAY}/rec1/comments", {"text": "ok"}, 429, ()),
]


def _app(tmp_path: Path, redis_client):
    from voicebot.supervisor.app import create_app

    # No live-board stream at all for a session, so the refusal is reached on the first request.
    settings = console_settings(tmp_path, max_streams_per_session=0)
    settings.supervisor.users["ann"] = ConsoleUser(password_hash=HASHES["sue"], role="supervisor", phone="8001")
    write_recording(settings.paths.recordings_dir, DAY, "rec1", {"started": time.time()}, [])
    sink = RedisEventSink(redis_client, worker="w1")
    sink(CallEvent("call_started", "live1", {"direction": "inbound", "remote": "sip:1@x"}))
    sink.close()
    redis_client.sadd(keys.CAMPAIGNS, "promo")
    redis_client.hset(keys.CampaignKeys("promo").meta, mapping={"status": "running", "created": "1772000000"})
    return create_app(settings, redis_client)


def _client(app, who: str, locale: str) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    client.cookies.set("vb_lang", locale)
    if who:
        r = post_login(client, who, PASSWORDS["sue" if who == "ann" else who])
        assert r.status_code == 303, r.text
    return client


def _answer(r, path: str) -> dict[str, str]:
    """The API's JSON; a page route (the language form) answers a page with the same code and words."""
    if path.startswith("/api/"):
        return r.json()
    assert r.headers["content-type"].startswith("text/html"), r.text
    detail = re.search(r'<p class="error" id="error-detail"[^>]*>(.*?)</p>', r.text).group(1)
    return {"code": re.search(r'data-code="([^"]+)"', r.text).group(1), "detail": html.unescape(detail)}


def _ask(client: TestClient, code: str, method: str, path: str, body: object):
    token = "wrong" if code == "csrf" else csrf_of(client) if client.cookies.get("vb_session") else ""
    headers = {"x-csrf-token": token}
    if code == "cross_site":
        headers["origin"] = "https://evil.example"
    if code == "comment_rate":
        for i in range(31):  # the per-minute budget (the empty comment above spent one of it)
            r = client.post(path, json={"text": f"c{i}"}, headers=headers)
            if r.status_code != 200:
                assert i == 29, i
                return r
    if path == "/lang":
        return client.post(path, data={**body, "csrf": token}, headers=headers, follow_redirects=False)
    return client.request(method, path, json=body, headers=headers) if body is not None or method == "POST" \
        else client.request(method, path, headers=headers)


def test_every_error_code_is_triggered_here_and_worded_in_both_languages():
    assert {c[0] for c in CASES} == set(ERRORS)
    for code, (en, zh) in ERRORS.items():
        assert en and not CJK.search(en), code
        assert CJK.search(zh), code


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_each_refusal_reads_in_the_readers_language(tmp_path, redis_client, locale):
    app = _app(tmp_path, redis_client)
    clients: dict[str, TestClient] = {}
    try:
        for code, who, method, path, body, status, echoed in CASES:
            if who not in clients:
                clients[who] = _client(app, who, locale)
            r = _ask(clients[who], code, method, path, body)
            assert r.status_code == status, (code, r.text)
            answer = _answer(r, path)
            assert answer["code"] == code, (code, answer)
            detail = answer["detail"]
            if locale == "zh-CN":
                assert CJK.search(detail), (code, detail)
                rest = detail
                for value in sorted(echoed, key=len, reverse=True):
                    rest = rest.replace(value, " ")
                stray = {w for w in WORD.findall(rest)} - ALLOWED_IN_ZH
                assert not stray, (code, detail, stray)
            else:
                assert not CJK.search(detail), (code, detail)
                assert len(WORD.findall(detail)) >= 3, (code, detail)
        if locale == "zh-CN":  # statuses are named as the campaigns page names them
            r = _ask(clients["sue"], "", "POST", "/api/campaigns/promo/status", {"status": "running"})
            assert "「外呼中」" in r.json()["detail"]
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)


def test_language_comes_from_the_browser_before_login_and_from_the_account_after(tmp_path, redis_client):
    app = _app(tmp_path, redis_client)
    with TestClient(app) as anonymous:
        r = anonymous.get("/api/live", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
        assert r.status_code == 401 and r.json()["detail"] == ERRORS["login_required"][1]
    app.state.console.settings.supervisor.users["vic"].locale = "zh-CN"
    with TestClient(app) as viewer:  # no cookie, an English browser: the account's language wins
        assert post_login(viewer, "vic", PASSWORDS["vic"]).status_code == 303
        r = viewer.get("/api/audit", headers={"accept-language": "en-US"})
        assert r.status_code == 403 and r.json()["detail"] == "没有权限执行此操作（仅限主管）。"
        r = viewer.get("/api/no-such-thing", headers={"accept-language": "en-US"})
        assert r.status_code == 404 and r.json()["detail"] == ERRORS["not_found"][1]


def test_no_route_answers_with_a_fixed_english_detail():
    source = Path(__file__).parents[2] / "voicebot" / "supervisor"
    for path in source.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"HTTPException\(\s*\d{3}\s*,", text), path.name
