"""Console fixtures: settings with two users, the ASGI app on the real private redis, recordings on disk."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from voicebot.config import ConsoleUser, Settings
from voicebot.supervisor.auth import hash_password

PASSWORDS = {"sue": "sup3rvisor-pass", "vic": "v1ewer-pass"}
# Low iteration count: the unit tests log in many times; the default (200k) is for real configs.
HASHES = {u: hash_password(p, iterations=1000) for u, p in PASSWORDS.items()}


def console_settings(tmp_path: Path, **supervisor) -> Settings:
    settings = Settings()
    settings.paths.recordings_dir = tmp_path / "recordings"
    settings.supervisor.users = {"sue": ConsoleUser(password_hash=HASHES["sue"], role="supervisor"),
                                 "vic": ConsoleUser(password_hash=HASHES["vic"], role="viewer")}
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


def login(client: TestClient, user: str) -> TestClient:
    r = client.post("/login", data={"username": user, "password": PASSWORDS[user], "next": "/live"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


from voice.conftest import artifacts  # noqa: E402,F401  (the shared tests/artifacts/ fixture)
