"""10 % RTP loss with 0-60 ms jitter (reordering) between the caller and the bot: the call still completes."""

from __future__ import annotations

import pytest
import yaml

from voicebot.callee.harness import BotProcess, callee_command, finish_callee, read_transcript, start_callee
from voicebot.callee.lossy_relay import BOT_RELAY_HOST, PHONE_RELAY_HOST, LossyPath, behind_relay_env

from .conftest import call_result, next_ports


@pytest.mark.slow
def test_an_english_call_completes_through_10_percent_loss_and_60ms_jitter(tmp_path):
    port, rtp = next_ports()
    phone_port, phone_rtp = next_ports()
    persona = tmp_path / "persona.yaml"
    persona.write_text(yaml.safe_dump({"name": "lossy", "turns": [{"say": "What are your opening hours?"},
                                                                  {"say": "Thanks, goodbye."}]}))
    with BotProcess(port, rtp, tmp_path, env=behind_relay_env(BOT_RELAY_HOST)) as bot, \
            LossyPath((port, rtp), (phone_port, phone_rtp), loss=0.10, jitter_ms=60, seed=11) as relay:
        mark = bot.mark()
        phone = start_callee(callee_command(str(persona), phone_port, phone_rtp, tmp_path / "report.json",
                                            call=f"sip:bot@{BOT_RELAY_HOST}:{port}", timeout=50),
                             tmp_path / "callee.log", env=behind_relay_env(PHONE_RELAY_HOST))
        report = finish_callee(phone, tmp_path / "report.json", timeout=60)
        finished = call_result(bot, mark)[0]
    transcript = read_transcript(finished["transcript"])
    bot_lines = [t["text"] for t in transcript if t["who"] == "bot"]
    print(f"relay: {relay.stats}; bot said {bot_lines}")
    # The audio really took the lossy path, both ways (thousands of packets, about 10 % dropped).
    assert relay.stats.rtp_forwarded > 1000 and 0.07 < relay.stats.rtp_loss < 0.13, relay.stats
    assert any("nine to six" in line for line in bot_lines), bot_lines  # the question was answered
    assert bot_lines[-1] == "Thank you for calling. Goodbye!"
    assert finished["outcome"]["hung_up_by"] == "bot" and report["ended_by"] == "bot"
