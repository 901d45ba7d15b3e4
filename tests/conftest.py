"""Shared fixture: a real private redis-server (unix socket, append-only) for the test session."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from voicebot.store.redis_server import PrivateRedis


@pytest.fixture(scope="session")
def redis_server():
    # A short directory: unix socket paths are limited to ~100 bytes.
    directory = Path(tempfile.mkdtemp(prefix="vb-redis-"))
    server = PrivateRedis(directory)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def redis_client(redis_server):
    """A client on an empty database."""
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()
