"""Console fixtures: settings with two users, the ASGI app on the real private redis, recordings on disk."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from voicebot.config import ConsoleUser, Settings
from voicebot.supervisor.auth import hash_password
from voicebot.supervisor.commands import server_config

PASSWORDS = {"sue": "sup3rvisor-pass", "vic": "v1ewer-pass"}
# Low iteration count: the unit tests log in many times; the default (200k) is for real configs.
HASHES = {u: hash_password(p, iterations=1000) for u, p in PASSWORDS.items()}


def console_settings(tmp_path: Path, **supervisor) -> Settings:
    settings = Settings()
    settings.paths.recordings_dir = tmp_path / "recordings"
    settings.supervisor.users = {"sue": ConsoleUser(password_hash=HASHES["sue"], role="supervisor"),
                                 "vic": ConsoleUser(password_hash=HASHES["vic"], role="viewer")}
    settings.supervisor.scrypt_log_n = 10  # upgraded hashes: cheap in tests, the default (15) is for real use
    for k, v in supervisor.items():
        setattr(settings.supervisor, k, v)
    return settings


def write_recording(root: Path, day: str, call_id: str, meta: dict, transcript: list[dict], seconds: float = 1.0) -> Path:
    folder = root / day
    folder.mkdir(parents=True, exist_ok=True)
    wav_path = folder / f"{call_id}.wav"
    t = np.arange(int(16000 * seconds)) / 16000
    tone = (3000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    stereo = np.stack([tone, tone // 2], axis=1)
    with wave.open(str(wav_path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(stereo.tobytes())
    (folder / f"{call_id}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in transcript), encoding="utf-8")
    (folder / f"{call_id}.json").write_text(json.dumps({"call_id": call_id, **meta}), encoding="utf-8")
    return wav_path


@pytest.fixture
def console_app(tmp_path, redis_client):
    from voicebot.supervisor.app import create_app

    settings = console_settings(tmp_path)
    app = create_app(settings, redis_client)
    return app, settings


def login_token(client: TestClient) -> str:
    """The login form's CSRF token (and its cookie, now in the client)."""
    page = client.get("/login")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def post_login(client: TestClient, user: str, password: str, **extra):
    return client.post("/login", data={"username": user, "password": password, "next": "/live",
                                       "csrf": login_token(client)}, follow_redirects=False, **extra)


def login(client: TestClient, user: str) -> TestClient:
    r = post_login(client, user, PASSWORDS[user])
    assert r.status_code == 303, r.text
    return client


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, as a page carries it."""
    page = client.get("/live")
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


from voice.conftest import artifacts  # noqa: E402,F401  (the shared tests/artifacts/ fixture)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """The console app on uvicorn in a thread (real HTTP, SSE and WebSocket)."""

    def __init__(self, app) -> None:
        self.port = _free_port()
        import uvicorn

        self.server = uvicorn.Server(server_config(app, "127.0.0.1", self.port, grace_s=1))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.time() + 15
        while not self.server.started:
            assert time.time() < deadline, "console did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
