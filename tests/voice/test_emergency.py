"""The emergency plan on real calls: recognition raising, synthesis hanging (fault drills). The
callee hears the stored apology, the call ends with a callback booked, and the failure is logged."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from voicebot.callee.harness import read_transcript

from .conftest import Phone, next_ports

APOLOGY = "Sorry, our system is having a technical problem. A colleague will follow up with you shortly."


@pytest.mark.parametrize("engine, mode, after_uses", [("asr", "raise", 0), ("tts", "hang", 1)])
def test_engine_failure_mid_call_apologises_and_books_a_callback(tmp_path, engine, mode, after_uses):
    phone = Phone(tmp_path, {"name": "asks", "turns": [{"say": "What are your opening hours?"},
                                                       {"say": "Thanks, goodbye."}]}).wait_ready()
    port, rtp = next_ports()
    env = {**os.environ, "VOICEBOT_PATHS__RECORDINGS_DIR": str(tmp_path / "rec"),
           f"VOICEBOT_FAULT_DRILL__{engine.upper()}": mode, "VOICEBOT_FAULT_DRILL__AFTER_USES": str(after_uses),
           "VOICEBOT_EMERGENCY__TTS_TIMEOUT_S": "3", "VOICEBOT_EMERGENCY__CALLBACK_DELAY_S": "600"}
    out = subprocess.run([sys.executable, "-m", "voicebot", "call", phone.uri, "--port", str(port),
                          "--rtp-port", str(rtp)], capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    outcome = result["outcome"]
    assert outcome["engine_failure"]["engine"] == engine
    assert outcome["engine_failure"]["failure"] == ("error" if mode == "raise" else "timeout")
    assert outcome["callbacks"] and outcome["callbacks"][0]["delay_s"] == 600
    assert outcome["hung_up_by"] == "bot"
    bot_lines = [t for t in read_transcript(result["transcript"]) if t["who"] == "bot"]
    assert bot_lines[-1]["text"] == APOLOGY and not bot_lines[-1].get("interrupted")
    assert bot_lines[-1]["end"] - bot_lines[-1]["start"] > 3  # it was played, not just queued
    assert '"event": "engine_failure"' in out.stderr and '"fault_drill_on"' in out.stderr
    assert phone.report()["ended_by"] == "bot"
