"""ICE for media behind NAT: with sip.ice the bot's SDP carries candidates and a call between two
ICE-enabled user agents (the bot and the callee simulator, both pjsua2) has audio both ways.

Not tested here: traversal of a real NAT with a TURN relay. That needs a TURN server (coturn) and
two network namespaces joined by a masquerading router; the settings are pjsua2's own (see
docs/deployment.md)."""

from __future__ import annotations

import pytest

from voicebot.callee.harness import BotProcess

from .conftest import call_result, next_ports
from .rawsip import answered_invite
from .test_sip_transport_security import phone

pytestmark = pytest.mark.slow

ICE = {"VOICEBOT_SIP__ICE": "true", "VOICEBOT_SIP__TRANSPORTS": '["udp"]'}


def _answer_sdp(bot_port: int) -> str:
    return answered_invite(bot_port).raw.split("\r\n\r\n", 1)[1]


def test_with_ice_the_answer_carries_candidates_and_a_call_has_audio_both_ways(tmp_path):
    """The callee simulator (pjsua2, ICE on) calls the bot (ICE on): the bot's 200 OK carries its
    candidates, and audio crosses both ways once the checks are done."""
    port, rtp = next_ports()
    with BotProcess(port, rtp, tmp_path / "bot", env={**ICE, "VOICEBOT_SIP__TRACE": "true"}) as bot:
        mark = bot.mark()
        report = phone(tmp_path, f"sip:bot@127.0.0.1:{port}", ICE, "ice")
        call_result(bot, mark)
        heard = bot.events("user_turn", mark)
        answers = [m["text"] for m in bot.events("sip_message", mark)
                   if m["direction"] == "tx" and m["text"].startswith("SIP/2.0 200") and "INVITE" in m["text"]]
    assert answers, "no 200 OK to the INVITE in the SIP trace"
    sdp = answers[0]
    assert "a=ice-ufrag:" in sdp and "a=candidate:" in sdp and " typ host" in sdp, sdp
    assert report["legs"] and report["legs"][0]["heard_bot_s"] > 1.0, report
    assert heard, "no callee speech crossed the ICE call"


def test_without_ice_the_bot_offers_no_candidates_even_to_a_plain_caller(tmp_path):
    port, rtp = next_ports()
    with BotProcess(port, rtp, tmp_path / "bot", env={"VOICEBOT_SIP__TRANSPORTS": '["udp"]'}):
        sdp = _answer_sdp(port)
    assert "a=candidate:" not in sdp and "ice-ufrag" not in sdp, sdp
