"""SIP over TLS with SRTP (SDES), and the refusal of plain RTP when SRTP is mandatory: one bot, real
phones (the callee simulator, pjsua2) configured through the same settings an operator uses."""

from __future__ import annotations

import json

import pytest

from voicebot.callee.harness import BotProcess, callee_command, finish_callee, start_callee

from .conftest import call_result, next_ports

pytestmark = pytest.mark.slow

SHORT = {"name": "secure", "after_last_turn": "hangup",
         "turns": [{"say": "What are your opening hours?"}, {"say": "Thank you, goodbye."}]}


def tls_env(cert, tls_port: int, srtp: str) -> dict[str, str]:
    return {"VOICEBOT_SIP__TRANSPORTS": '["udp", "tls"]', "VOICEBOT_SIP__TLS_PORT": str(tls_port),
            "VOICEBOT_SIP__TLS_CERT_FILE": str(cert[0]), "VOICEBOT_SIP__TLS_KEY_FILE": str(cert[1]),
            "VOICEBOT_SIP__SRTP": srtp}


def phone(tmp_path, call: str, env: dict[str, str], name: str) -> dict:
    port, rtp = next_ports()
    persona = tmp_path / f"{name}.json"
    persona.write_text(json.dumps({**SHORT, "name": name}))
    report = tmp_path / f"{name}-report.json"
    proc = start_callee(callee_command(str(persona), port, rtp, report, call=call, timeout=90),
                        tmp_path / f"{name}.log", env={**env, "VOICEBOT_SIP__TLS_PORT": str(port + 1)})
    return finish_callee(proc, report, 150)


def test_tls_with_srtp_works_and_plain_rtp_is_refused(tmp_path, cert):
    port, rtp = next_ports()
    tls_port, _ = next_ports()
    env = tls_env(cert, tls_port, "mandatory")
    with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
        # 1. SIP over TLS, media SRTP (mandatory on both sides), IPv4.
        mark = bot.mark()
        report = phone(tmp_path, f"sip:bot@127.0.0.1:{tls_port};transport=tls", tls_env(cert, 0, "mandatory"), "tls")
        # Audio both ways over SRTP: the caller heard the bot, the bot recognised the caller.
        assert report["legs"] and report["legs"][0]["heard_bot_s"] > 1.0, report
        call_result(bot, mark)
        assert bot.events("user_turn", mark), "no speech crossed the SRTP call"
        # 2. Plain RTP to a bot that demands SRTP: refused (488), never answered without encryption.
        mark = bot.mark()
        report = phone(tmp_path, f"sip:bot@127.0.0.1:{port}", {"VOICEBOT_SIP__TRANSPORTS": '["udp"]'}, "plain")
        assert report["ended_by"] == "not answered" and report["end_code"] == 488, report
        assert not bot.events("media_ready", mark)
