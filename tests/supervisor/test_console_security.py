"""The console's holes (issue 10), each attacked against the real ASGI app and a real redis-server:
CSRF, headers, hashed sessions, KDF upgrade, throttling, stream limits, malformed records, masking
for viewers, file modes; and the workstation APIs (interventions, wallboard, search, QA, audit)."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from voicebot.supervisor import audit
from voicebot.supervisor.auth import SESSION_PREFIX, UPGRADED_PREFIX
from voicebot.supervisor.channel import instruct_key, supervise_key
from voicebot.supervisor.i18n import LOCALES, STRINGS
from voicebot.supervisor.passwords import hash_password

from . import attack_seed as A
from .conftest import PASSWORDS, console_settings, csrf_of, login, login_token, post_login

STATIC = Path(__file__).resolve().parents[2] / "voicebot" / "supervisor" / "static"
TEMPLATES = STATIC.parent / "templates"


def _app(tmp_path, redis_client, **supervisor):
    from voicebot.supervisor.app import create_app

    settings = console_settings(tmp_path, **supervisor)
    return create_app(settings, redis_client), settings


def test_one_escaping_path_no_html_strings_in_scripts_or_templates():
    """Every value reaches the page through dom.js (textContent / setAttribute) or Jinja autoescape."""
    banned = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*['\"`]")
    for js in STATIC.glob("*.js"):
        text = "\n".join(line for line in js.read_text().splitlines() if not line.lstrip().startswith("//"))
        assert not banned.search(text), f"{js.name}: {banned.search(text).group(0)}"
    for html in TEMPLATES.glob("*.html"):
        text = html.read_text()
        assert "|safe" not in text and "autoescape false" not in text and "<script>" not in text, html.name
        assert not re.search(r"\son[a-z]+=", text), f"{html.name}: inline event handler"


def test_security_headers_everywhere(console_app):
    app, settings = console_app
    A.seed_recordings(settings.paths.recordings_dir)
    with TestClient(app) as client:
        login(client, "sue")
        for path in ("/login", "/live", "/api/live", f"/api/recordings/{A.DAY}/{A.REC_PLAIN}",
                     f"/files/recordings/{A.DAY}/{A.REC_PLAIN}.wav", "/wallboard", "/static/dom.js"):
            r = client.get(path)
            assert r.status_code == 200, path
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "same-origin" and "strict-transport-security" not in r.headers
            assert r.headers["cache-control"] == ("no-cache" if path.startswith("/static") else "no-store"), path


def test_csrf_on_login_logout_and_every_state_change(console_app, redis_client):
    app, settings = console_app
    A.seed_live(redis_client)
    A.seed_recordings(settings.paths.recordings_dir)
    with TestClient(app) as client:
        # Login without the form's token, or with a token from elsewhere: refused, no session.
        r = client.post("/login", data={"username": "vic", "password": PASSWORDS["vic"]}, follow_redirects=False)
        assert r.status_code == 403 and "vb_session" not in r.cookies
        token = login_token(client)
        r = client.post("/login", data={"username": "vic", "password": PASSWORDS["vic"], "csrf": token},
                        headers={"origin": "http://127.0.0.1:9999"}, follow_redirects=False)
        assert r.status_code == 403  # another origin (a same-site page on another port), even with the token
        login(client, "sue")
        csrf = csrf_of(client)
        # Logout, language, interventions, QA: without the token -> 403 and nothing happens.
        assert client.post("/logout", follow_redirects=False).status_code == 403
        assert client.get("/api/me").status_code == 200
        assert client.post("/lang", data={"locale": "zh-CN"}).status_code == 403
        cid = A.PLAIN_CALL
        assert client.post(f"/api/calls/{cid}/hang_up").status_code == 403
        assert client.post(f"/api/calls/{cid}/whisper", json={"text": "x"},
                           headers={"x-csrf-token": "wrong"}).status_code == 403
        assert client.post(f"/api/calls/{cid}/hang_up", headers={"x-csrf-token": csrf,
                                                                  "origin": "http://evil.example"}).status_code == 403
        assert redis_client.llen(instruct_key(cid)) == 0
        assert client.post(f"/api/recordings/{A.DAY}/{A.REC_PLAIN}/flag", json={"flagged": True}).status_code == 403
        # With it: done.
        assert client.post(f"/api/calls/{cid}/hang_up", headers={"x-csrf-token": csrf}).status_code == 200
        assert json.loads(redis_client.lpop(instruct_key(cid)))["text"] == "hang up"
        r = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303 and client.get("/api/me").status_code == 401


def test_sessions_are_stored_hashed_and_passwords_upgraded(tmp_path, redis_client):
    app, settings = _app(tmp_path, redis_client)
    with TestClient(app) as client:
        login(client, "sue")
        token = client.cookies.get("vb_session")
        keys = redis_client.keys(SESSION_PREFIX + "*")
        assert len(keys) == 1 and token not in keys[0] and token not in redis_client.get(keys[0])
        # Reading Redis gives no usable cookie: the stored key used as a token is refused.
        with TestClient(app, cookies={"vb_session": keys[0].rsplit(":", 1)[1]}) as thief:
            assert thief.get("/api/me").status_code == 401
        with TestClient(app, cookies={"vb_session": token}) as same:
            assert same.get("/api/me").status_code == 200
        # The configured PBKDF2 hash (weak) was upgraded to scrypt at login; the next login uses it.
        upgraded = json.loads(redis_client.get(UPGRADED_PREFIX + "sue"))
        assert upgraded["hash"].startswith("scrypt$10$")
        login(client, "sue")
        assert post_login(client, "sue", "wrong").status_code == 401
        # A new password in the config voids the upgraded copy: the old password no longer works.
        settings.supervisor.users["sue"].password_hash = hash_password("brand-new-pass", log_n=10)
        assert post_login(client, "sue", PASSWORDS["sue"]).status_code == 401
        assert post_login(client, "sue", "brand-new-pass").status_code == 303
    assert hash_password("x-password").startswith("scrypt$15$8$3$")  # the default cost


def test_secure_cookie_setting(tmp_path, redis_client):
    app, _ = _app(tmp_path, redis_client, secure_cookies=True)
    with TestClient(app) as client:
        token = login_token(client)
        r = client.post("/login", data={"username": "sue", "password": PASSWORDS["sue"], "csrf": token},
                        follow_redirects=False)
        assert "secure" in r.headers["set-cookie"].lower()
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_login_throttled_per_source_and_kdf_bounded(tmp_path, redis_client):
    app, _ = _app(tmp_path, redis_client, login_attempts_per_source=5, kdf_concurrency=1, kdf_queue=0)
    with TestClient(app) as flood, TestClient(app, client=("10.1.1.1", 4000)) as other:
        codes = [post_login(flood, f"nobody{i}", "x").status_code for i in range(7)]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        assert "Too many login attempts" in post_login(flood, "sue", PASSWORDS["sue"]).text
        login(other, "sue")  # another address still logs in
        assert audit.recent(redis_client, action="login_throttled")
    # The KDF pool is bounded: with no queue, logins beyond the one running are answered 429 at once.
    app2, _ = _app(tmp_path, redis_client, kdf_concurrency=1, kdf_queue=0, login_attempts_per_source=1000)
    gate = app2.state.console.gate
    release = threading.Event()
    gate.pool.submit(release.wait)  # the only KDF thread is busy
    gate.waiting = 1
    with TestClient(app2, client=("10.2.2.2", 1)) as c:
        r = post_login(c, "sue", PASSWORDS["sue"])
        assert r.status_code == 429 and r.headers["retry-after"]
    release.set()


def test_streams_per_session_are_capped(tmp_path, redis_client):
    app, _ = _app(tmp_path, redis_client, max_streams_per_session=2)
    console = app.state.console
    with TestClient(app) as client:
        login(client, "sue")
        session = console.auth.session(client.cookies.get("vb_session"))
        assert console.streams.acquire(session.key, "sue") and console.streams.acquire(session.key, "sue")
        assert client.get("/api/live/stream").status_code == 429
        console.streams.release(session.key, "sue")
        # Many sessions of one user: capped per user too (max_streams_per_user = 6).
        for i in range(5):
            assert console.streams.acquire(f"other-session-{i}", "sue")
        assert client.get("/api/live/stream").status_code == 429
        for i in range(5):
            console.streams.release(f"other-session-{i}", "sue")
        with client.stream("GET", "/api/live/stream") as r:
            assert r.status_code == 200
            assert next(r.iter_lines()).startswith("event: snapshot")


def test_malformed_records_are_skipped_not_fatal(console_app, redis_client):
    from voicebot.store.events import EVENTS_STREAM

    app, settings = console_app
    A.seed_live(redis_client)
    huge = {"type": "user_turn", "call_id": A.PLAIN_CALL, "ts": 1.0, "text": "长" * 1_000_000}
    redis_client.xadd(EVENTS_STREAM, {"json": json.dumps(huge, ensure_ascii=False)})
    redis_client.xadd(EVENTS_STREAM, {"json": json.dumps({"type": "call_started", "call_id": "c-big", "ts": 1,
                                                          "customer": {"name": "x" * 100_000, "nested": {"a": 1}}})})
    A.seed_recordings(settings.paths.recordings_dir)
    with TestClient(app) as client:
        login(client, "sue")
        r = client.get("/api/live")
        assert r.status_code == 200 and {c["call_id"] for c in r.json()["calls"]} == {A.ATTACK_CALL, A.PLAIN_CALL}
        plain = next(c for c in r.json()["calls"] if c["call_id"] == A.PLAIN_CALL)
        # The board reads each call's hash; a forged 3 MB event in the stream never reaches it.
        assert max(len(u["text"]) for u in plain["utterances"]) <= 4000 and len(r.content) < 64 * 1024
        r = client.get(f"/api/recordings/{A.DAY}/{A.REC_ATTACK}")
        assert r.status_code == 200
        lines = r.json()["transcript"]
        assert [x["start"] for x in lines] == [0.2, 1.5, 3.0]  # the 4 bad lines skipped, the rest sorted
        assert client.get(f"/recordings/{A.DAY}/{A.REC_ATTACK}").status_code == 200
        assert client.get("/api/wallboard").status_code == 200


def test_viewer_sees_no_number_in_any_format(console_app, redis_client):
    app, settings = console_app
    A.seed_live(redis_client)
    A.seed_recordings(settings.paths.recordings_dir)
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        csrf = csrf_of(sup)
        sup.post(f"/api/recordings/{A.DAY}/{A.REC_PLAIN}/comments", json={"text": f"call back {A.NUMBERS[2]}"},
                 headers={"x-csrf-token": csrf})
        texts = [viewer.get(p).text for p in (
            "/api/live", "/api/recordings", f"/api/recordings/{A.DAY}/{A.REC_PLAIN}",
            f"/recordings/{A.DAY}/{A.REC_PLAIN}", "/api/recordings.csv", "/api/recordings?text=call")]
        with viewer.stream("GET", "/api/live/stream") as r:
            lines = r.iter_lines()
            texts.append(next(lines) + next(lines))
        for text in texts:
            decoded = json.loads(json.dumps(text))
            for number in A.NUMBERS:
                assert number not in decoded and number.replace("+", "\\u002b") not in decoded, number
        all_text = "".join(texts)
        assert A.NOT_NUMBERS[0] in all_text and A.NOT_NUMBERS[1] in all_text  # amounts and dates stay
        # Supervisors see them whole; viewers cannot search by them.
        assert A.NUMBERS[0] in sup.get("/api/live").text
        assert viewer.get("/api/recordings", params={"text": "555-0123"}).json()["recordings"] == []
        assert len(sup.get("/api/recordings", params={"text": "555-0123"}).json()["recordings"]) == 1


def test_recordings_are_written_0640(tmp_path):
    from voicebot.recording.recorder import CallRecorder

    old = os.umask(0o022)
    try:
        rec = CallRecorder(tmp_path, "c1", 8000, 320, mask_numbers=True)
        rec.add_frames([b"\0" * 320], [None])
        rec.add_transcript("callee", "my number is 138 1234 5678", 0.0, 1.0)
        rec.close()
    finally:
        os.umask(old)
    for path in (rec.wav_path, rec.transcript_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path
    assert "138 **** **78" in rec.transcript_path.read_text()


def test_interventions_are_supervisor_only_audited_and_reach_the_call(console_app, redis_client):
    app, settings = console_app
    settings.supervisor.users["sue"].phone = "sip:sue@pbx.example"
    A.seed_live(redis_client)
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        h = {"x-csrf-token": csrf_of(sup)}
        cid = A.PLAIN_CALL
        assert viewer.post(f"/api/calls/{cid}/hang_up", headers={"x-csrf-token": csrf_of(viewer)}).status_code == 403
        assert sup.post("/api/calls/no-such-call/hang_up", headers=h).status_code == 404
        assert sup.post(f"/api/calls/{cid}/whisper", json={"text": "  offer the annual plan "}, headers=h).json()["ok"]
        assert sup.post(f"/api/calls/{cid}/transfer", headers=h).status_code == 200
        assert sup.post(f"/api/calls/{cid}/barge", headers=h).json()["phone"] == "sip:sue@pbx.example"
        assert sup.post(f"/api/calls/{cid}/explode", headers=h).status_code == 404
        sent = [json.loads(x)["text"] for x in redis_client.lrange(instruct_key(cid), 0, -1)]
        assert sent == ["offer the annual plan", "transfer now"]
        assert json.loads(redis_client.lpop(supervise_key(cid))) | {"ts": 0} == {
            "uri": "sip:sue@pbx.example", "mode": "barge", "ts": 0}
        actions = [e["action"] for e in sup.get("/api/audit").json()["entries"]]
        assert actions[:3] == ["barge", "transfer", "whisper"]
        assert viewer.get("/api/audit").status_code == 403


def test_wallboard_search_qa_and_i18n(console_app, redis_client):
    app, settings = console_app
    A.seed_live(redis_client)
    A.seed_recordings(settings.paths.recordings_dir)
    import time

    from voicebot.session.events import CallEvent
    from voicebot.store.events import RedisEventSink

    settings.supervisor.wallboard.failed_transfers_red = 1
    now = time.time()
    sink = RedisEventSink(redis_client, worker="w2")
    for i, (handle_s, ok) in enumerate(((10.0, False), (20.0, True))):
        cid = f"done-{i}"
        sink(CallEvent("call_started", cid, {"direction": "outbound", "remote": "sip:x@pbx"}, ts=now - handle_s - 5))
        sink(CallEvent("call_answered", cid, {}, ts=now - handle_s))
        sink(CallEvent("reply_latency", cid, {"latency_ms": 400 + 200 * i}, ts=now - 5))
        sink(CallEvent("call_ended", cid, {"latency_ms": [400], "outcome": {
            "answered_by": "human" if i == 0 else "voicemail", "transfer": {"ok": ok}}}, ts=now))
    assert sink.flush()
    sink.close()
    with TestClient(app) as sup:
        login(sup, "sue")
        tiles = sup.get("/api/wallboard").json()["tiles"]
        assert tiles["active"]["value"] == 2 and tiles["calls_today"]["value"] == 4
        assert abs(tiles["aht"]["value"] - 15.0) < 0.5 and tiles["answered_rate"]["value"] == 0.5
        assert tiles["avg_reply"]["value"] == 500 and tiles["escalations"]["value"] == 1
        assert tiles["failed_transfers"] == {"value": 1, "level": "red"}
        # Search: words, filters, sorting, CSV.
        found = sup.get("/api/recordings", params={"text": "好的"}).json()["recordings"]
        assert [r["call_id"] for r in found] == [A.REC_ATTACK] and found[0]["match"] == "好的 ok"
        assert [r["call_id"] for r in sup.get("/api/recordings", params={"sort": "shortest"}).json()["recordings"]] \
            == [A.REC_PLAIN, A.REC_ATTACK]
        for params, expected in (({"intent": "price"}, [A.REC_PLAIN]), ({"emotion": "calm"}, [A.REC_PLAIN]),
                                 ({"escalated": "yes"}, [A.REC_ATTACK]), ({"variant": "B"}, [A.REC_PLAIN]),
                                 ({"min_s": "3"}, [A.REC_ATTACK]), ({"max_s": "3"}, [A.REC_PLAIN]),
                                 ({"grade": "A", "segment": "vip"}, [A.REC_PLAIN])):
            assert [r["call_id"] for r in sup.get("/api/recordings", params=params).json()["recordings"]] == expected
        assert sup.get("/api/recordings", params={"sort": "sideways"}).status_code == 400
        csv_text = sup.get("/api/recordings.csv").text
        assert csv_text.startswith("\ufeffday,call_id") and A.REC_PLAIN in csv_text
        gbk = sup.get("/api/recordings.csv", params={"encoding": "gbk", "text": "好的"}).content
        assert "好的 ok".encode("gbk") in gbk and gbk.startswith(b"day,call_id")  # Excel on zh-CN Windows
        # QA: flag, score, comment; flagged filter.
        h = {"x-csrf-token": csrf_of(sup)}
        base = f"/api/recordings/{A.DAY}/{A.REC_PLAIN}"
        assert sup.post(f"{base}/flag", json={"flagged": True}, headers=h).json()["flagged"]
        assert sup.post(f"{base}/score", json={"points": {"greeting": 2, "accuracy": 9}}, headers=h).status_code == 400
        assert sup.post(f"{base}/score", json={"points": {"greeting": 2, "tone": 1}}, headers=h).json()["score"]["total"] == 3
        assert sup.post(f"{base}/comments", json={"text": "好，语气再热情一点"}, headers=h).status_code == 200
        assert [r["call_id"] for r in sup.get("/api/recordings", params={"flagged": "yes"}).json()["recordings"]] \
            == [A.REC_PLAIN]
        assert {"flag", "score", "comment", "export"} <= {e["action"] for e in sup.get("/api/audit").json()["entries"]}
        # Chinese UI: by the user's switch, with the labels from the table.
        r = sup.post("/lang", data={"locale": "zh-CN", "csrf": h["x-csrf-token"], "back": "/wallboard"},
                     follow_redirects=True)
        assert "大屏看板" in r.text and 'lang="zh-CN"' in r.text
    assert all(len(v) == len(LOCALES) and all(v) for v in STRINGS.values())


def test_event_validation_keeps_real_events_whole():
    from voicebot.supervisor.records import BadRecord, clean_event

    ended = {"type": "call_ended", "call_id": "c1", "ts": 1.5, "latency_ms": [510, 620],
             "outcome": {"answered_by": "human"}, "recording": "/r/c1.wav"}
    assert clean_event(ended)["latency_ms"] == [510, 620]  # call_ended's list is not reply_latency's number
    assert clean_event({"type": "reply_latency", "call_id": "c1", "ts": "2", "latency_ms": "480"})["latency_ms"] == 480
    for bad in ({"type": "emotion", "call_id": "c1", "ts": "abc"}, {"type": "x", "ts": float("nan")},
                {"type": "reply_latency", "call_id": "c1", "latency_ms": "fast"}, [1], "x"):
        try:
            clean_event(bad)
        except BadRecord:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_language_from_user_setting_then_browser(tmp_path, redis_client):
    app, settings = _app(tmp_path, redis_client)
    settings.supervisor.users["vic"].locale = "zh-CN"
    with TestClient(app) as vic, TestClient(app, headers={"accept-language": "zh-TW,zh;q=0.9"}) as sue_zh, \
            TestClient(app) as sue_en:
        login(vic, "vic")
        login(sue_zh, "sue")
        login(sue_en, "sue")
        assert "实时通话" in vic.get("/live").text and vic.get("/api/me").json()["locale"] == "zh-CN"
        assert "实时通话" in sue_zh.get("/live").text and "登录" in sue_zh.get("/login").text
        page = sue_en.get("/live").text
        assert "Live calls" in page and 'lang="en-US"' in page


def test_a_changed_password_ends_the_users_sessions(tmp_path, redis_client):
    from voicebot.config import ConsoleUser
    from voicebot.supervisor.app import create_app
    from voicebot.supervisor.auth import hash_password

    from .conftest import console_settings, login

    settings = console_settings(tmp_path)
    with TestClient(create_app(settings, redis_client)) as client:
        login(client, "sue")
        assert client.get("/api/me").status_code == 200
        # The admin changes sue's password in the config; the console restarts with it.
        settings.supervisor.users["sue"] = ConsoleUser(password_hash=hash_password("n3w-pass", iterations=1000),
                                                       role="supervisor")
        with TestClient(create_app(settings, redis_client), cookies=dict(client.cookies)) as same_cookie:
            assert same_cookie.get("/api/me").status_code == 401


def test_a_tossed_in_session_cookie_never_becomes_the_session(console_app):
    """A page on another port set its own vb_session (a viewer's) beside the supervisor's, with a
    narrower path so the browser sends it first: the console ran as the viewer. A request that
    carries the session cookie twice now has no session."""
    from .conftest import login

    app, _ = console_app
    with TestClient(app) as sue, TestClient(app) as vic:
        login(sue, "sue")
        login(vic, "vic")
        tossed = f"vb_session={vic.cookies['vb_session']}; vb_session={sue.cookies['vb_session']}"
        with TestClient(app) as victim:
            r = victim.get("/api/me", headers={"cookie": tossed})
            assert r.status_code == 401
            r = victim.get("/api/me", headers={"cookie": f"vb_session={sue.cookies['vb_session']}"})
            assert r.status_code == 200


def test_over_https_the_session_cookie_is_host_prefixed(console_app):
    """__Host-: a browser takes it only from a secure origin with Path=/ and no Domain, so no other
    port or subdomain can set it; the plain name is not read over HTTPS."""
    from .conftest import PASSWORDS, post_login

    app, _ = console_app
    with TestClient(app, base_url="https://testserver") as client:
        r = post_login(client, "sue", PASSWORDS["sue"])
        assert r.status_code == 303
        set_cookie = r.headers["set-cookie"]
        assert set_cookie.startswith("__Host-vb_session=") and "Secure" in set_cookie and "Path=/" in set_cookie
        assert "Domain" not in set_cookie
        assert client.get("/api/me").status_code == 200
        token = client.cookies["__Host-vb_session"]
    with TestClient(app, base_url="https://testserver") as plain:
        assert plain.get("/api/me", headers={"cookie": f"vb_session={token}"}).status_code == 401
