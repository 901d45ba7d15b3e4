"""Issue #20 item 5: a disk so full that ``CallRecorder()`` cannot even create its files (errno 28).

Before, every call crashed 0.02 s after answer, was stored as no_answer and retried. Now the call
goes on unrecorded: the bot still greets the caller, the error is logged and published once, the
outcome says the customer answered, and /readyz says degraded until a recording is written again.
A real full tmpfs, the real session over the memory transport with the real engines."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from voicebot.config import load_settings
from voicebot.dialogue.base import CallInfo
from voicebot.server.health import HealthEndpoint
from voicebot.session.call_session import CallSession
from voicebot.session.engines import load_engines
from voicebot.session.events import CallEvent
from voicebot.sip.registration import RegistrationStatus
from voicebot.transport.memory import MemorySwitch


@pytest.fixture
def full_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,nr_inodes=4", "tmpfs", str(mount)], check=True)
    try:
        fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)  # fill it: later files and directories fail
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        for i in range(8):
            try:
                os.mkdir(mount / f"d{i}")
            except OSError:
                break
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def answer_one_call(settings, engines, events: list[CallEvent]):
    """An inbound call over the memory transport: greeted, held 1 s, hung up by the caller."""
    start = len(events)
    switch = MemorySwitch(settings.media.clock_rate, settings.media.frame_ms, 2.0)
    phone = switch.add_phone("sip:customer@memory")
    call = switch.incoming(phone)
    session = CallSession(switch, call, engines, CallInfo(call.uid, "inbound", phone.uri, "en-US"))
    session.start()
    deadline = time.time() + 60
    while time.time() < deadline and not any(e.type == "bot_turn" for e in events[start:]):
        time.sleep(0.05)
    assert any(e.type == "bot_turn" for e in events[start:]), [e.type for e in events]  # the bot greeted the caller
    time.sleep(1.0)
    assert not call.ended  # still up, 1 s after the greeting began
    phone.hang_up()
    return session.join(30)


@pytest.fixture
def engines_on(full_disk):
    settings = load_settings()
    settings.paths.recordings_dir = full_disk
    settings.recording.enabled = True
    settings.emotion.enabled = False
    engines = load_engines(settings)
    events: list[CallEvent] = []
    engines.sinks.append(events.append)
    try:
        yield settings, engines, events
    finally:
        engines.close()


def test_a_recorder_that_cannot_open_lets_the_call_go_on_unrecorded(full_disk, engines_on):
    settings, engines, events = engines_on
    with pytest.raises(OSError):  # the fault is real
        (full_disk / "2026-01-01").mkdir()
    result = answer_one_call(settings, engines, events)
    assert result is not None and result.recording is None
    assert result.outcome["answered_by"] == "human" and result.outcome["hung_up_by"] == "remote"
    assert "No space left" in result.outcome["recording_error"] or "space" in result.outcome["recording_error"]
    assert [e.type for e in events].count("recording_failed") == 1


class SipStackUp:
    """The SIP side of the readiness probe (pjsua's thread, registration, drain), which this test
    is not about: turning, no registrar, not draining."""
    running, draining = True, False
    admission = SimpleNamespace(refused_total=0)
    registration_status = RegistrationStatus("direct", "")

    @property
    def heartbeat(self) -> float:
        return time.monotonic()


def readyz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_readyz_is_degraded_until_a_recording_is_written_again(engines_on, tmp_path):
    """The issue's repro (full disk, `/healthz` said ok), then the disk freed: /readyz says
    ``degraded: [recording]`` with the error after the failed call, and clears after a call whose
    recording is written whole."""
    settings, engines, events = engines_on
    server = SimpleNamespace(ua=SipStackUp(), sessions={}, settings=settings, engines=engines)
    port = free_port()
    endpoint = HealthEndpoint(server, "127.0.0.1", port)  # type: ignore[arg-type]
    try:
        status, body = readyz(port)
        assert status == 200 and "degraded" not in body
        answer_one_call(settings, engines, events)
        status, body = readyz(port)
        assert status == 200 and body["ok"] is True  # still takes calls: they go on unrecorded
        assert body["degraded"] == ["recording"] and "No space left" in body["recording_error"]
        assert body["recordings_failed"] == 1 and body["recording_failing_since"] > 0
        settings.ops.unready_when_degraded = True  # a site that must record every call
        assert readyz(port)[0] == 503
        settings.ops.unready_when_degraded = False

        settings.paths.recordings_dir = tmp_path / "freed"  # the operator frees the disk
        result = answer_one_call(settings, engines, events)
        assert result.recording is not None and "recording_error" not in result.outcome
        status, body = readyz(port)
        assert status == 200 and "degraded" not in body and "recording_error" not in body
    finally:
        endpoint.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
