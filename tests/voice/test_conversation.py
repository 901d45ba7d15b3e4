"""The voice loop end to end: real pjsua2 phones, real RTP on 127.0.0.1, real Whisper and Piper."""

from __future__ import annotations

from voicebot.callee.harness import read_transcript

from .conftest import Phone, call_result, channel_rms


def test_inbound_four_turn_conversation(bot, tmp_path, artifacts):
    mark = bot.mark()
    phone = Phone(tmp_path, "demo-en", call=bot.uri)
    report = phone.report()
    finished = call_result(bot, mark)[0]
    transcript = read_transcript(finished["transcript"])
    callee_lines = [t["text"].lower() for t in transcript if t["who"] == "callee"]
    bot_lines = [t["text"] for t in transcript if t["who"] == "bot"]
    (artifacts / "four_turn_transcript.jsonl").write_text(
        "\n".join(str(t) for t in transcript), encoding="utf-8")

    assert len(callee_lines) == 4, callee_lines
    assert "hour" in callee_lines[0]
    assert "cost" in callee_lines[1] or "plan" in callee_lines[1]
    assert "bye" in callee_lines[3]
    # The bot answered by keyword: hours, then price, then no-match help, then goodbye.
    assert bot_lines[0].startswith("Hello")
    assert "nine to six" in bot_lines[1]
    assert "twenty dollars" in bot_lines[2]
    assert bot_lines[-1] == "Thank you for calling. Goodbye!"
    assert report["ended_by"] == "bot"
    assert finished["outcome"]["hung_up_by"] == "bot"
    # Every callee turn got a spoken reply, timed from the callee's side.
    assert [t["reply_latency_ms"] is not None for t in report["turns"]] == [True] * 4
    # Stereo recording, time-aligned, non-silent on both channels.
    left, right = channel_rms(finished["recording"])
    assert left > 100 and right > 100


def test_outbound_call_to_an_answering_phone(tmp_path):
    import subprocess
    import sys

    from .conftest import next_ports

    phone = Phone(tmp_path, {"name": "answerer", "turns": [{"say": "What are your opening hours?"},
                                                           {"say": "Thanks, goodbye."}]}).wait_ready()
    port, rtp = next_ports()
    out = subprocess.run(
        [sys.executable, "-m", "voicebot", "call", phone.uri, "--port", str(port), "--rtp-port", str(rtp),
         "--customer", '{"name": "Ada", "segment": "new_lead"}'],
        capture_output=True, text=True, timeout=240,
        env={**__import__("os").environ, "VOICEBOT_PATHS__RECORDINGS_DIR": str(tmp_path / "rec")},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = phone.report()
    assert report["mode"] == "answer"
    assert report["greeting_latency_ms"] is not None  # the bot spoke first on its own outbound call
    result = __import__("json").loads(out.stdout)
    lines = read_transcript(result["transcript"])
    assert any("hour" in t["text"].lower() for t in lines if t["who"] == "callee")
    assert result["outcome"]["hung_up_by"] == "bot"
