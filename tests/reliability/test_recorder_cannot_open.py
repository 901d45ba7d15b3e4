"""Issue #20 item 5: a disk so full that ``CallRecorder()`` cannot even create its files (errno 28).

Before, every call crashed 0.02 s after answer, was stored as no_answer and retried. Now the call
goes on unrecorded: the bot still greets the caller, the error is logged and published once, and
the outcome says the customer answered. A real full tmpfs, the real session over the memory
transport with the real engines."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from voicebot.config import load_settings
from voicebot.dialogue.base import CallInfo
from voicebot.session.call_session import CallSession
from voicebot.session.engines import load_engines
from voicebot.session.events import CallEvent
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


def test_a_recorder_that_cannot_open_lets_the_call_go_on_unrecorded(full_disk):
    settings = load_settings()
    settings.paths.recordings_dir = full_disk
    settings.recording.enabled = True
    settings.emotion.enabled = False
    with pytest.raises(OSError):  # the fault is real
        (full_disk / "2026-01-01").mkdir()
    engines = load_engines(settings)
    events: list[CallEvent] = []
    engines.sinks.append(events.append)
    try:
        switch = MemorySwitch(settings.media.clock_rate, settings.media.frame_ms, 2.0)
        phone = switch.add_phone("sip:customer@memory")
        call = switch.incoming(phone)
        session = CallSession(switch, call, engines, CallInfo(call.uid, "inbound", phone.uri, "en-US"))
        session.start()
        deadline = time.time() + 60
        while time.time() < deadline and not any(e.type == "bot_turn" for e in events):
            time.sleep(0.05)
        assert any(e.type == "bot_turn" for e in events), [e.type for e in events]  # the bot greeted the caller
        time.sleep(1.0)
        assert not call.ended  # still up, 1 s after the greeting began
        phone.hang_up()
        result = session.join(30)
    finally:
        engines.close()
    assert result is not None and result.recording is None
    assert result.outcome["answered_by"] == "human" and result.outcome["hung_up_by"] == "remote"
    assert "No space left" in result.outcome["recording_error"] or "space" in result.outcome["recording_error"]
    assert [e.type for e in events].count("recording_failed") == 1
