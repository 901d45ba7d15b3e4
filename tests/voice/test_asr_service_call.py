"""`serve --workers 2` with asr.service = "auto": one recognition service, a real call through it."""

from __future__ import annotations

import pytest

from voicebot.callee.harness import BotProcess

from .conftest import Phone, call_result, next_ports


@pytest.mark.slow
def test_a_conversation_through_the_recognition_service(tmp_path):
    port, rtp = next_ports()
    next_ports()  # the second worker's share of the RTP range: rtp+100 .. rtp+199
    env = {"VOICEBOT_ASR__SERVICE": "auto", "VOICEBOT_SIP__RTP_PORT_RANGE": "200"}
    with BotProcess(port, rtp, tmp_path / "bot", env=env, args=["--workers", "2"],
                    ready_marker='"voicebot_pool_ready"') as bot:
        assert bot.events("asr_service_ready"), "the group started no recognition service"
        mark = bot.mark()
        phone = Phone(tmp_path, {"name": "svc", "turns": [{"say": "What are your opening hours?"},
                                                         {"say": "Okay, thank you. Goodbye."}]},
                      call=bot.uri, record=False)
        report = phone.report()
        call_result(bot, mark)
        turns = [e["text"].lower() for e in bot.events("user_turn", mark)]
        connected = bot.events("asr_service_connected")
    assert [t["reply_latency_ms"] is not None for t in report["turns"]] == [True, True]
    assert "opening hours" in turns[0] and "bye" in turns[1], turns
    assert connected, "the call worker did not use the service"
