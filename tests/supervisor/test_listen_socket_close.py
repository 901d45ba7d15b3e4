"""Every way a listen-live socket ends is quiet in the server's log: the browser closing politely,
its connection dropped (reset, no close frame), leaving at once after the handshake, leaving while
audio streams, and the call ending on the server's side. Real uvicorn, real redis, a real client."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from base64 import b64encode
from os import urandom

from fastapi.testclient import TestClient

from tests.supervisor.conftest import Served, console_settings, login
from voicebot.session.events import CallEvent
from voicebot.store.events import LIVE_CALLS, RedisEventSink
from voicebot.supervisor.audio_tap import audio_channel

CALL = "live1"


def _app(tmp_path, redis_client):
    from voicebot.supervisor.app import create_app

    return create_app(console_settings(tmp_path), redis_client)


def _start_call(redis_client) -> None:
    sink = RedisEventSink(redis_client, worker="w1")
    sink(CallEvent("call_started", CALL, {"direction": "inbound", "remote": "sip:1@x"}))
    sink.close()


def _raw_upgrade(port: int, cookie: str) -> socket.socket:
    """A WebSocket handshake by hand, so the connection can be reset without any close frame."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = b64encode(urandom(16)).decode()
    sock.sendall((f"GET /ws/listen/{CALL} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Cookie: {cookie}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head[:100]
    return sock


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
    sock.close()


def test_listen_sockets_end_every_way_without_a_traceback(tmp_path, redis_client, capfd):
    import websockets

    app = _app(tmp_path, redis_client)
    _start_call(redis_client)
    with TestClient(app) as client:
        login(client, "sue")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    stop = threading.Event()

    def publish_audio() -> None:  # the bot's tap: 20 ms frames, the way a call sends them
        while not stop.is_set():
            redis_client.publish(audio_channel(CALL), b"\x00\x01" * 160)
            time.sleep(0.005)

    async def scenarios(url: str, port: int) -> dict[str, object]:
        seen: dict[str, object] = {}
        connect = lambda: websockets.connect(url, additional_headers={"Cookie": cookie})  # noqa: E731
        for way in ("close", "abort"):
            ws = await connect()
            assert json.loads(await ws.recv())["type"] == "format"
            assert isinstance(await ws.recv(), bytes)  # audio is flowing when the client leaves
            await (ws.close() if way == "close" else asyncio.sleep(0))
            if way == "abort":
                ws.transport.abort()
            await asyncio.sleep(0.3)
        ws = await connect()
        await ws.close()  # at once: the server may still be subscribing
        sock = await asyncio.to_thread(_raw_upgrade, port, cookie)
        await asyncio.to_thread(sock.recv, 4096)  # the format frame, then audio
        await asyncio.to_thread(_reset, sock)
        sock = await asyncio.to_thread(_raw_upgrade, port, cookie)
        await asyncio.to_thread(_reset, sock)  # reset before anything was sent
        await asyncio.sleep(0.5)
        seen["listeners_after_clients_left"] = app.state.console.listeners
        # The call ends on the server's side while a client listens: "ended", then a clean close.
        ws = await connect()
        assert json.loads(await ws.recv())["type"] == "format"
        redis_client.srem(LIVE_CALLS, CALL)
        texts = []
        try:
            async for message in ws:
                if isinstance(message, str):
                    texts.append(json.loads(message)["type"])
        except websockets.ConnectionClosed:
            pass
        seen["server_end"] = (texts, ws.close_code)
        await asyncio.sleep(0.3)
        seen["listeners_at_end"] = app.state.console.listeners
        return seen

    publisher = threading.Thread(target=publish_audio, daemon=True)
    publisher.start()
    try:
        with Served(app) as base:
            port = int(base.rsplit(":", 1)[1])
            seen = asyncio.run(scenarios(base.replace("http://", "ws://") + f"/ws/listen/{CALL}", port))
    finally:
        stop.set()
        publisher.join(2)
    log = capfd.readouterr()
    text = log.out + log.err
    assert seen["listeners_after_clients_left"] == 0, seen
    assert seen["server_end"] == (["ended"], 1000), seen
    assert seen["listeners_at_end"] == 0, seen
    assert "Traceback" not in text and "Exception in ASGI" not in text and "Task exception" not in text, text
