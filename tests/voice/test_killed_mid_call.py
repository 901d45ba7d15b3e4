"""A bot process killed with SIGKILL mid-call: what it recorded so far stays readable (a valid WAV
up to the last write, whole transcript lines), and the callee sees the call end."""

from __future__ import annotations

import json
import signal

import soundfile as sf

from voicebot.callee.harness import BotProcess

from .conftest import Phone, next_ports


def test_sigkill_mid_call_leaves_a_readable_partial_recording(tmp_path):
    port, rtp = next_ports()
    with BotProcess(port, rtp, tmp_path / "bot", env={"VOICEBOT_SIP__RTP_TIMEOUT_S": "5"}) as bot:
        mark = bot.mark()
        phone = Phone(tmp_path, {"name": "long", "turns": [
            {"say": "What are your opening hours?"}, {"say": "And how much does the basic plan cost?"},
            {"say": "Let me think about it for a moment."}, {"say": "Okay, goodbye."}]}, call=bot.uri)
        turns = bot.wait_events("user_turn", 1, mark, timeout=90)
        assert turns, "the callee's first turn never reached the bot"
        bot.proc.send_signal(signal.SIGKILL)
        bot.proc.wait(10)
        report = phone.report()
    wavs = list((tmp_path / "bot" / "recordings").glob("*/*.wav"))
    assert len(wavs) == 1, wavs
    audio, rate = sf.read(wavs[0], dtype="int16")  # the header was valid at the last write
    assert audio.ndim == 2 and len(audio) / rate > 1.0
    lines = [json.loads(line) for line in wavs[0].with_suffix(".jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(t["who"] == "callee" and "hour" in t["text"].lower() for t in lines), lines
    assert report["ended_by"] != "bot"  # the callee's side noticed the bot vanish (RTP timeout or BYE)
