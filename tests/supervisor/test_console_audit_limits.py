"""Audit that no user's activity can push out (two trails, indexed filters over the whole trail,
paged), and per-session limits on QA comments and listen sockets."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.supervisor.conftest import Served, console_settings, csrf_of, login, write_recording
from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink
from voicebot.supervisor import audit

DAY = time.strftime("%Y-%m-%d")


def _app(tmp_path, redis_client):
    from voicebot.supervisor.app import create_app

    settings = console_settings(tmp_path)
    write_recording(settings.paths.recordings_dir, DAY, "rec1", {"started": time.time()}, [])
    return create_app(settings, redis_client)


def _live_call(redis_client, call_id: str = "live1") -> None:
    sink = RedisEventSink(redis_client, worker="w1")
    sink(CallEvent("call_started", call_id, {"direction": "inbound", "remote": "sip:1@x"}))
    sink.close()


def test_a_flood_of_comments_cannot_bury_a_download(tmp_path, redis_client):
    app = _app(tmp_path, redis_client)
    with TestClient(app) as sup:
        login(sup, "sue")
        assert sup.get(f"/files/recordings/{DAY}/rec1.wav?download=true").status_code == 200
        for i in range(2100):  # what one reviewer posted in 14 s, written straight to the trail
            audit.record(redis_client, audit.AuditEntry("comment", "vic", call_id="rec1", detail={"n": i}))
        r = sup.get("/api/audit?action=download").json()
        assert [(e["action"], e["user"], e["call_id"], e["trail"]) for e in r["entries"]] == \
            [("download", "sue", "rec1", "security")]
        by_user = sup.get("/api/audit?user=sue&limit=5").json()["entries"]
        assert {e["action"] for e in by_user} == {"login", "download"}
        by_call = sup.get("/api/audit?call_id=rec1&action=download").json()["entries"]
        assert len(by_call) == 1
        # The security trail is trimmed by age only: its length is not the activity trail's business.
        assert redis_client.xlen(audit.SECURITY.stream) == 2
        assert redis_client.xlen(audit.ACTIVITY.stream) == 2100


def test_audit_pages_cover_the_whole_trail_in_order(tmp_path, redis_client):
    app = _app(tmp_path, redis_client)
    for i in range(249):
        audit.record(redis_client, audit.AuditEntry("login_refused", f"u{i % 3}", detail={"n": i}))
    with TestClient(app) as sup:
        login(sup, "sue")
        seen, before, pages = [], "", 0
        while True:
            r = sup.get(f"/api/audit?limit=100{'&before=' + before if before else ''}").json()
            seen += r["entries"]
            pages += 1
            if not r["next_before"]:
                break
            before = r["next_before"]
        assert pages == 3 and len(seen) == 250 and len({e["id"] for e in seen}) == 250
        assert [int(e["cursor"]) for e in seen] == sorted((int(e["cursor"]) for e in seen), reverse=True)
        only = sup.get("/api/audit?action=login_refused&user=u1&limit=500").json()["entries"]
        assert len(only) == 83 and {e["user"] for e in only} == {"u1"}
        assert sup.get("/api/audit?before=abc").status_code == 400
        r = sup.get("/api/audit?limit=0")
        assert r.status_code == 400 and "limit" in r.json()["detail"]
    audit.trim(redis_client, now=time.time() + 401 * 86400)  # past the security trail's retention
    assert redis_client.xlen(audit.SECURITY.stream) == 0
    assert audit.page(redis_client, 10, action="login_refused").entries == []
    assert not redis_client.exists(audit.SECURITY.index("action", "login_refused"))


def test_comments_are_for_supervisors_and_rate_limited(tmp_path, redis_client):
    app = _app(tmp_path, redis_client)
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        r = viewer.post(f"/api/recordings/{DAY}/rec1/comments", json={"text": "hi"},
                        headers={"x-csrf-token": csrf_of(viewer)})
        assert r.status_code == 403 and "supervisor" in r.json()["detail"]
        assert "qa-comment-text" not in viewer.get(f"/recordings/{DAY}/rec1").text
        token = csrf_of(sup)
        codes = [sup.post(f"/api/recordings/{DAY}/rec1/comments", json={"text": f"c{i}"},
                          headers={"x-csrf-token": token}).status_code for i in range(30)]
        assert codes == [200] * 30
        r = sup.post(f"/api/recordings/{DAY}/rec1/comments", json={"text": "one too many"},
                     headers={"x-csrf-token": token})
        assert r.status_code == 429 and "30 comments a minute" in r.json()["detail"]
        assert int(r.headers["retry-after"]) >= 1
        assert len(sup.get(f"/api/recordings/{DAY}/rec1").json()["review"]["comments"]) == 30


def test_at_most_four_listen_sockets_per_session(tmp_path, redis_client):
    app = _app(tmp_path, redis_client)
    _live_call(redis_client)
    with TestClient(app) as sup:
        login(sup, "sue")
        opened = []
        for _ in range(4):
            ws = sup.websocket_connect("/ws/listen/live1").__enter__()
            assert json.loads(ws.receive_text())["type"] == "format"
            opened.append(ws)
        with pytest.raises(WebSocketDisconnect) as refused:
            with sup.websocket_connect("/ws/listen/live1") as ws:
                ws.receive_text()
        assert refused.value.code == 4429 and "4 listen sockets per session" in refused.value.reason
        opened.pop().__exit__(None, None, None)  # one closed: room for one more
        time.sleep(0.5)
        with sup.websocket_connect("/ws/listen/live1") as ws:
            assert json.loads(ws.receive_text())["type"] == "format"
        for ws in opened:
            ws.__exit__(None, None, None)


def test_closing_a_listen_socket_logs_no_traceback(tmp_path, redis_client, capfd):
    """A browser leaving while audio is being sent, politely (close frame) or not (connection dropped),
    is the normal end of listening: nothing is logged as an error."""
    import websockets

    app = _app(tmp_path, redis_client)
    _live_call(redis_client)
    with TestClient(app) as client:
        login(client, "sue")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    stop = threading.Event()

    def publish_audio() -> None:  # the bot's tap, sending audio while the browser leaves
        while not stop.is_set():
            redis_client.publish("voicebot:audio:live1", b"\x00\x01" * 160)
            time.sleep(0.005)

    async def listen_and_leave(url: str) -> None:
        for polite in (True, False, True):
            ws = await websockets.connect(url, additional_headers={"Cookie": cookie})
            assert json.loads(await ws.recv())["type"] == "format"
            assert isinstance(await ws.recv(), bytes)
            if polite:
                await ws.close()
            else:
                ws.transport.abort()
            await asyncio.sleep(0.5)

    publisher = threading.Thread(target=publish_audio, daemon=True)
    publisher.start()
    try:
        with Served(app) as base:
            asyncio.run(listen_and_leave(base.replace("http://", "ws://") + "/ws/listen/live1"))
    finally:
        stop.set()
        publisher.join(2)
    out = capfd.readouterr()
    assert "Traceback" not in out.out + out.err and "Exception in ASGI" not in out.out + out.err
