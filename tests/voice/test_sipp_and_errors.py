"""Signalling against sipp (a different SIP stack), registration with digest auth, RTP timeout, bad models."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voicebot.callee.harness import BotProcess

from .conftest import call_result, next_ports

SCENARIOS = Path(__file__).resolve().parents[1] / "sip" / "scenarios"


def sipp(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    port, _ = next_ports()
    return subprocess.run(["sipp", "-nostdin", "-p", str(port), "-m", "1",
                           "-timeout", f"{int(timeout)}s", "-timeout_error", *args],
                          capture_output=True, text=True, timeout=timeout + 15)


def test_sipp_uac_call_is_answered_and_cleared(bot):
    mark = bot.mark()
    out = sipp(["-sn", "uac", "-s", "bot", f"127.0.0.1:{bot.port}"])
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    finished = call_result(bot, mark)[0]
    assert finished["outcome"]["hung_up_by"] == "remote"


def test_sipp_g711a_audio_and_rfc2833_dtmf_from_real_pcaps(bot):
    mark = bot.mark()
    out = sipp(["-sf", str(SCENARIOS / "uac_pcap_dtmf.xml"), "-s", "bot", f"127.0.0.1:{bot.port}"])
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    finished = call_result(bot, mark)[0]
    assert finished["outcome"].get("dtmf") == ["1"]
    answered = bot.events("media_ready", mark)
    assert answered and answered[0]["codec"] == "PCMA/8000"


def test_bot_hangs_up_when_rtp_stops(tmp_path):
    port, rtp = next_ports()
    with BotProcess(port, rtp, tmp_path, env={"VOICEBOT_SIP__RTP_TIMEOUT_S": "3"}) as bot:
        mark = bot.mark()
        out = sipp(["-sf", str(SCENARIOS / "uac_no_rtp_expect_bye.xml"), "-s", "bot", f"127.0.0.1:{bot.port}"])
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        finished = call_result(bot, mark)[0]
    assert finished["outcome"]["hung_up_by"] == "rtp_timeout"


@pytest.mark.parametrize("password,code", [("s3cret", 200), ("wrong", 403)])
def test_registers_to_a_pbx_with_digest_auth(tmp_path, password, code):
    reg_port, _ = next_ports()
    registrar = subprocess.Popen(["sipp", "-nostdin", "-sf", str(SCENARIOS / "register_auth_uas.xml"),
                                  "-p", str(reg_port), "-m", "1", "-timeout", "60s"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port, rtp = next_ports()
    env = {"VOICEBOT_SIP__REGISTRAR": f"sip:127.0.0.1:{reg_port}", "VOICEBOT_SIP__USERNAME": "voicebot",
           "VOICEBOT_SIP__PASSWORD": password, "VOICEBOT_SIP__REALM": "voicebot.test",
           "VOICEBOT_SIP__TRANSPORTS": '["udp"]'}
    try:
        with BotProcess(port, rtp, tmp_path, env=env) as bot:
            regs = bot.wait_events("registration", 1, timeout=20)
    finally:
        registrar.wait(30)
    assert regs and regs[-1]["code"] == code, regs


def _serve_error(tmp_path: Path, env: dict[str, str]) -> str:
    port, rtp = next_ports()
    out = subprocess.run([sys.executable, "-m", "voicebot", "serve", "--port", str(port), "--rtp-port", str(rtp)],
                         capture_output=True, text=True, timeout=120, env={**os.environ, **env}, cwd=tmp_path)
    assert out.returncode != 0, "serve must refuse to start"
    return out.stderr


def test_missing_model_is_a_clear_startup_error(tmp_path):
    err = _serve_error(tmp_path, {"VOICEBOT_ASR__WHISPER_MODEL": str(tmp_path / "no-such-model")})
    assert "no-such-model" in err
    assert "Traceback" not in err


def test_corrupt_model_is_a_clear_startup_error(tmp_path):
    from voicebot.asr.models import resolve_whisper_model
    from voicebot.config import load_settings

    good = Path(resolve_whisper_model(load_settings()))
    bad = tmp_path / "broken-whisper"
    shutil.copytree(good, bad, ignore=shutil.ignore_patterns("model.bin"))
    with open(good / "model.bin", "rb") as src, open(bad / "model.bin", "wb") as dst:
        dst.write(src.read(1_000_000))  # truncated download
    err = _serve_error(tmp_path, {"VOICEBOT_ASR__WHISPER_MODEL": str(bad)})
    assert "broken-whisper" in err
    assert "Traceback" not in err


def test_missing_voice_is_a_clear_startup_error(tmp_path):
    err = _serve_error(tmp_path, {"VOICEBOT_TTS__VOICES": '{"en-US": "/nowhere/voice.onnx"}'})
    assert "/nowhere/voice.onnx" in err
    assert "Traceback" not in err


def test_registration_recovers_after_a_403_and_reports_it(tmp_path):
    """One 403 from the registrar: a warning with the status, not-ready meanwhile, then registered again."""
    import json
    import urllib.request

    reg_port, _ = next_ports()
    health_port = reg_port + 1
    registrar = subprocess.Popen(["sipp", "-nostdin", "-sf", str(SCENARIOS / "registrar_glitches.xml"),
                                  "-p", str(reg_port), "-m", "2", "-timeout", "60s"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port, rtp = next_ports()
    env = {"VOICEBOT_SIP__REGISTRAR": f"sip:127.0.0.1:{reg_port}", "VOICEBOT_SIP__USERNAME": "voicebot",
           "VOICEBOT_SIP__PASSWORD": "s3cret", "VOICEBOT_SIP__REALM": "voicebot.test",
           "VOICEBOT_SIP__TRANSPORTS": '["udp"]', "VOICEBOT_SIP__REGISTER_RETRY_MIN_S": "3",
           "VOICEBOT_SIP__KEEPALIVE_INTERVAL_S": "0", "VOICEBOT_OPS__HEALTH_PORT": str(health_port)}

    def ready() -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/readyz", timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    try:
        with BotProcess(port, rtp, tmp_path, env=env) as bot:
            failed = bot.wait_events("registration_failed", 1, timeout=20)
            not_ready = ready()
            registered = bot.wait_events("registered", 1, timeout=20)
            now_ready = ready()
    finally:
        try:
            registrar.wait(30)
        except subprocess.TimeoutExpired:
            registrar.kill()  # a sipp left behind holds its port for later tests
            registrar.wait()
    assert failed and failed[0]["code"] == 403 and failed[0]["level"] == "warning", failed
    assert "password" in failed[0]["hint"]
    assert not_ready[0] == 503 and not_ready[1]["registration"]["state"] == "failed", not_ready
    assert registered and registered[0]["recovered"] is True
    assert now_ready[0] == 200 and now_ready[1]["registration"]["state"] == "registered", now_ready
