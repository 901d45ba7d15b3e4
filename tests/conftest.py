"""Hermetic settings for every test, and a real private redis-server (unix socket, append-only)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from voicebot.config import _default_cache_dir
from voicebot.store.redis_server import PrivateRedis

TEST_PHONE_ACCOUNTS = ["sip:phone@127.0.0.1"]


def pytest_configure(config):
    """Tests never read a developer's settings: no VOICEBOT_* from the shell, no ./voicebot.toml,
    and a fresh cache (private Redis, prompt audio, persona audio) for the session. Prepared models
    are the one thing shared with the machine: setup makes them once (subprocesses inherit this)."""
    models = os.environ.get("VOICEBOT_PATHS__MODELS_DIR") or str(_default_cache_dir() / "models")
    # VOICEBOT_TEST_*: the test harness's own knobs (port blocks for parallel checkouts), not settings.
    for key in [k for k in os.environ if k.startswith("VOICEBOT_") and not k.startswith("VOICEBOT_TEST_")]:
        del os.environ[key]
    # A short path: unix socket paths are limited to ~100 bytes.
    session_dir = Path(tempfile.mkdtemp(prefix="vb-test-"))
    (session_dir / "voicebot.toml").write_text("# tests run on defaults\n", encoding="utf-8")
    os.environ["VOICEBOT_CONFIG"] = str(session_dir / "voicebot.toml")
    os.environ["VOICEBOT_PATHS__CACHE_DIR"] = str(session_dir / "cache")
    os.environ["VOICEBOT_PATHS__MODELS_DIR"] = models
    _share_between_workers(session_dir)
    # The test phones' SIP account (tests/voice, the callee harness): the bot may dial a named
    # account only when it is configured staff, so the tests list theirs like a deployment would.
    os.environ["VOICEBOT_CAMPAIGN__STAFF_ACCOUNTS"] = json.dumps(TEST_PHONE_ACCOUNTS)
    # The callee simulators take any bot speech after their turn for the reply, so a holding line
    # ("one moment", said when a loaded test machine is slow to transcribe) would make them talk
    # over the real answer. The holding line has its own tests (tests/session), which switch it on.
    os.environ["VOICEBOT_TURN__REPLY_FILLER_AFTER_S"] = "0"
    config._voicebot_session_dir = session_dir


def _share_between_workers(session_dir: Path) -> None:
    """pytest -n 2 (xdist): each worker is its own process with its own cache and Redis. Its ports
    come from a block of its own (the checkout's block, then the next ones), and the workers share
    one folder of trained classifiers (written aside and renamed, so safe to share): a sample plan
    is trained once per run, not once per worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        shared = session_dir / "shared-classifiers"
        shared.mkdir()
        os.environ["VOICEBOT_TEST_SHARED_CLASSIFIERS"] = str(shared)  # the workers inherit it
        return
    base = int(os.environ.get("VOICEBOT_TEST_PORT_BLOCK", "0"))
    os.environ["VOICEBOT_TEST_PORT_BLOCK"] = str(base + int(worker[2:]))
    shared_dir = os.environ.get("VOICEBOT_TEST_SHARED_CLASSIFIERS", "")
    if shared_dir:
        (session_dir / "cache" / "nlu").mkdir(parents=True)
        (session_dir / "cache" / "nlu" / "classifiers").symlink_to(shared_dir, target_is_directory=True)


def pytest_unconfigure(config):
    session_dir = getattr(config, "_voicebot_session_dir", None)
    if session_dir is not None:
        shutil.rmtree(session_dir, ignore_errors=True)


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


# Whole folders whose tests run real SIP calls between processes or a real Rasa server: tens of
# seconds each. The fast tier (`-m "not slow"`) leaves them out; the full suite runs them.
SLOW_FOLDERS = {"voice", "rasa"}
# Slow tests whose verdict rests on timing or on hearing at its margins (barge-in stop latency,
# prosody emotion over a call, short-turn recognition): scripts/test.sh runs the slow tier two at a
# time, then these alone, so no other call shares the CPU with them.
SOLO = {"voice/test_hearing_calls.py", "voice/test_emotion_escalation.py", "voice/test_faq_call.py",
        "voice/test_sip_features.py::test_barge_in_stops_the_bot_within_100ms_of_the_threshold"}


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).parent
    for item in items:
        relative = Path(item.path).relative_to(root)
        parts = relative.parts
        if parts and parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
        if relative.as_posix() in SOLO or f"{relative.as_posix()}::{item.originalname}" in SOLO:
            item.add_marker(pytest.mark.solo)
