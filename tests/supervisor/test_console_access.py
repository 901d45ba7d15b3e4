"""Console access control against the real ASGI app and a real redis-server: login, expiry, roles,
masking, refused unauthenticated requests and refused path traversal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from voicebot.masking import mask_uri
from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink
from voicebot.supervisor.auth import hash_password, verify_password

from .conftest import PASSWORDS, console_settings, csrf_of, login, login_token, post_login, write_recording

NUMBER = "+8613812345678"
DAY = "2026-03-04"


def test_password_hashes_verify_and_reject():
    encoded = hash_password("correct horse", iterations=1000)
    assert encoded.startswith("pbkdf2_sha256$1000$")
    assert verify_password("correct horse", encoded)
    assert not verify_password("correct hors", encoded)
    assert not verify_password("x", "not-a-hash")  # a broken config entry logs nobody in
    assert hash_password("same", iterations=1000) != hash_password("same", iterations=1000)  # salted


def test_unauthenticated_requests_are_refused(console_app):
    app, settings = console_app
    write_recording(settings.paths.recordings_dir, DAY, "c1", {"remote": f"sip:{NUMBER}@pbx"}, [])
    with TestClient(app) as client:
        for path in ("/api/live", "/api/live/stream", "/api/recordings", f"/api/recordings/{DAY}/c1",
                     f"/files/recordings/{DAY}/c1.wav", "/api/campaigns", "/api/me"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 401, (path, r.status_code)
        for path in ("/", "/live", "/recordings", f"/recordings/{DAY}/c1", "/campaigns"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
        with pytest.raises(WebSocketDisconnect) as closed:
            with client.websocket_connect("/ws/listen/c1") as ws:
                ws.receive_text()
        assert closed.value.code == 4401
        # A forged cookie is no better than none.
        client.cookies.set("vb_session", "forged-token")
        assert client.get("/api/live").status_code == 401


def test_login_logout_and_wrong_password(console_app):
    app, _ = console_app
    with TestClient(app) as client:
        r = post_login(client, "sue", "wrong")
        assert r.status_code == 401 and "vb_session" not in r.cookies
        r = post_login(client, "nobody", "x")
        assert r.status_code == 401
        r = client.post("/login", data={"username": "sue", "password": PASSWORDS["sue"], "next": "//evil.example/",
                                        "csrf": client.cookies.get("vb_csrf")}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/live"  # no open redirect
        for target in ("/\t/evil.example", "/\\evil.example", "https://evil.example/"):
            r = client.post("/login", data={"username": "sue", "password": PASSWORDS["sue"], "next": target,
                                            "csrf": login_token(client)}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/live", target
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert client.get("/api/me").json()["role"] == "supervisor"
        assert client.get("/live").status_code == 200
        client.post("/logout", data={"csrf": csrf_of(client)}, follow_redirects=False)
        assert client.get("/api/me").status_code == 401
        metrics = client.get("/metrics").text  # the console's own metrics: counts only, no personal data
        assert 'voicebot_console_logins_total{result="refused"} 2.0' in metrics
        assert 'voicebot_console_logins_total{result="ok"} 4.0' in metrics


def test_sessions_expire(tmp_path, redis_client):
    from voicebot.supervisor.app import create_app

    app = create_app(console_settings(tmp_path, session_ttl_s=1), redis_client)
    with TestClient(app) as client:
        login(client, "sue")
        assert client.get("/api/me").status_code == 200
        time.sleep(1.3)
        assert client.get("/api/me").status_code == 401
        assert client.get("/live", follow_redirects=False).status_code == 303


def _seed_live_call(redis_client, call_id="live1"):
    sink = RedisEventSink(redis_client, worker="w1")
    sink(CallEvent("call_started", call_id, {"direction": "outbound", "remote": f"sip:{NUMBER}@pbx", "locale": "en-US",
                                             "customer": {"name": "Ada", "segment": "new_lead"}}))
    sink(CallEvent("call_answered", call_id, {"codec": "PCMU"}))
    sink(CallEvent("user_turn", call_id, {"text": f"call me back on {NUMBER[3:]}", "asr_ms": 210}))
    sink(CallEvent("emotion", call_id, {"label": "agitated", "confidence": 0.8}))
    sink(CallEvent("state", call_id, {"state": "listening"}))
    assert sink.flush()
    sink.close()


def test_roles_and_masking(console_app, redis_client):
    app, settings = console_app
    _seed_live_call(redis_client)
    write_recording(settings.paths.recordings_dir, DAY, "rec1",
                    {"remote": f"sip:{NUMBER}@pbx", "customer": {"name": "Ada", "segment": "new_lead"},
                     "segment": "new_lead", "outcome": {"answered_by": "human", "intent_grade": "B", "duration_s": 1.0}},
                    [{"who": "callee", "text": f"my number is {NUMBER}", "start": 0.1, "end": 0.9}])
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        row_s = sup.get("/api/live").json()["calls"][0]
        row_v = viewer.get("/api/live").json()["calls"][0]
        assert row_s["remote"] == f"sip:{NUMBER}@pbx"
        # What was said is masked in the Redis event stream itself (#20): no role reads a raw number
        # there; supervisors hear the recording and read the stored transcript.
        assert row_s["utterances"][0]["text"] == "call me back on 138******78"
        assert row_v["remote"] == mask_uri(f"sip:{NUMBER}@pbx") == "sip:+86*********78@pbx"
        assert NUMBER[3:] not in row_v["utterances"][0]["text"] and "*" in row_v["utterances"][0]["text"]
        assert row_v["segment"] == "new_lead" and row_v["state"] == "listening"
        assert "emotion: agitated" in row_v["flags"]

        rec_s = sup.get("/api/recordings").json()["recordings"]
        rec_v = viewer.get("/api/recordings").json()["recordings"]
        assert rec_s[0]["remote"] == f"sip:{NUMBER}@pbx" and NUMBER not in str(rec_v)
        assert NUMBER not in viewer.get(f"/api/recordings/{DAY}/rec1").text
        assert NUMBER in sup.get(f"/api/recordings/{DAY}/rec1").text
        # Viewers cannot find a customer by number; supervisors can.
        assert viewer.get("/api/recordings", params={"customer": NUMBER[3:]}).status_code == 403
        assert len(sup.get("/api/recordings", params={"customer": NUMBER[3:]}).json()["recordings"]) == 1
        assert sup.get("/api/recordings", params={"grade": "A"}).json()["recordings"] == []
        assert len(sup.get("/api/recordings", params={"grade": "B", "segment": "new_lead"}).json()["recordings"]) == 1
        # Audio is for supervisors: viewers get 403 on files and on listen-live.
        assert viewer.get(f"/files/recordings/{DAY}/rec1.wav").status_code == 403
        r = sup.get(f"/files/recordings/{DAY}/rec1.wav")
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav" and r.content[:4] == b"RIFF"
        r = sup.get(f"/files/recordings/{DAY}/rec1.wav", params={"download": "true"})
        assert "attachment" in r.headers["content-disposition"]
        with pytest.raises(WebSocketDisconnect) as closed:
            with viewer.websocket_connect("/ws/listen/live1") as ws:
                ws.receive_text()
        assert closed.value.code == 4403


def test_path_traversal_is_refused(console_app, tmp_path):
    app, settings = console_app
    root = settings.paths.recordings_dir
    write_recording(root, DAY, "ok1", {}, [])
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF-secret-outside-the-recordings")
    (root / DAY / "link.wav").symlink_to(secret)  # a link inside pointing outside
    with TestClient(app) as client:
        login(client, "sue")
        assert client.get(f"/files/recordings/{DAY}/ok1.wav").status_code == 200
        for path in ("/files/recordings/..%2Fsecret.wav", "/files/recordings/%2e%2e/secret.wav",
                     f"/files/recordings/{DAY}/..%2F..%2Fsecret.wav", f"/files/recordings/{DAY}/link.wav",
                     "/files/recordings/..%2F..%2F..%2Fetc%2Fpasswd", "/files/recordings/%2Fetc%2Fpasswd",
                     f"/files/recordings/{DAY}/ok1.py", f"/files/recordings/{DAY}/ok1.wav%00.txt",
                     "/api/recordings/..%2F..%2F/secret", f"/recordings/{DAY}/..%2Fsecret"):
            r = client.get(path)
            assert r.status_code in (400, 404), (path, r.status_code)
            assert b"secret-outside" not in r.content and b"root:" not in r.content, path


def test_console_refuses_to_start_without_users(tmp_path):
    env = {**os.environ, "VOICEBOT_CONFIG": str(tmp_path / "empty.toml")}
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "voicebot", "console"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 2
    assert "hash-password" in out.stderr and "[supervisor.users." in out.stderr
    out = subprocess.run([sys.executable, "-m", "voicebot", "console", "hash-password", "--password-stdin"],
                         input="a-long-password\n", capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and verify_password("a-long-password", out.stdout.strip())


def test_number_masking_forms():
    assert mask_uri("sip:13812345678@pbx.example.com:5060") == "sip:138******78@pbx.example.com:5060"
    assert mask_uri('"+8613812345678" <sip:+8613812345678@pbx>') == '"+86*********78" <sip:+86*********78@pbx>'
    assert mask_uri("tel:+14155550123") == "tel:+14*******23"
    assert mask_uri("sip:phone@127.0.0.1:5212") == "sip:phone@127.0.0.1:5212"  # no number, host untouched
    assert mask_uri("sip:1001@pbx") == "sip:1001@pbx"  # a 4-digit extension is not a phone number


def test_password_guessing_locks_the_name_for_that_source_only(console_app, redis_client):
    from voicebot.supervisor.audit import recent

    app, _ = console_app
    with TestClient(app) as client, TestClient(app, client=("10.9.9.9", 50000)) as elsewhere:
        for _ in range(9):
            assert post_login(client, "sue", "guess").status_code == 401
        r = post_login(client, "sue", "guess")  # the tenth
        assert r.status_code == 429 and "Too many wrong passwords" in r.text and "Retry-After" in r.headers
        # Even the right password is refused from this address until the window passes, with its own message.
        r = post_login(client, "sue", PASSWORDS["sue"])
        assert r.status_code == 429 and "Too many wrong passwords" in r.text and "Wrong user name" not in r.text
        login(client, "vic")  # other users are not affected
        login(elsewhere, "sue")  # nor is the supervisor at her own desk: the attacker cannot lock her out
    assert [e["user"] for e in recent(redis_client, action="login_locked")] == ["sue", "sue"]


def test_listen_socket_from_another_site_is_refused(console_app, redis_client):
    app, _ = console_app
    _seed_live_call(redis_client)
    with TestClient(app) as client:
        login(client, "sue")
        with pytest.raises(WebSocketDisconnect) as closed:
            with client.websocket_connect("/ws/listen/live1", headers={"origin": "http://evil.example"}) as ws:
                ws.receive_text()
        assert closed.value.code == 4403
        with client.websocket_connect("/ws/listen/live1", headers={"origin": "http://testserver"}) as ws:
            assert json.loads(ws.receive_text()) == {"type": "format", "rate": 8000, "encoding": "s16le", "channels": 1}
            # The listener announced itself for the bot holding the call.
            assert redis_client.get("voicebot:listen:live1") == "sue"


def test_metrics_can_require_a_bearer_token(tmp_path, redis_client):
    """/metrics answers without a login (Prometheus scrapes it; counts only). With
    supervisor.metrics_token set it needs that token, and a console session is not enough."""
    from pydantic import SecretStr

    from voicebot.supervisor.app import create_app

    from .conftest import console_settings, login

    open_app = create_app(console_settings(tmp_path), redis_client)
    with TestClient(open_app) as client:
        assert client.get("/metrics").status_code == 200
    app = create_app(console_settings(tmp_path, metrics_token=SecretStr("scrape-me")), redis_client)
    with TestClient(app) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert client.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
        login(client, "sue")
        assert client.get("/metrics").status_code == 401
        scraped = client.get("/metrics", headers={"authorization": "Bearer scrape-me"})
        assert scraped.status_code == 200 and "voicebot_console_logins_total" in scraped.text
