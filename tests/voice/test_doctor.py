"""``voicebot doctor`` on a healthy setup and on a broken one (stopped Redis, wrong model path, SIP port
in use, wrong SIP password at a registrar), run as the operator would: a separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from .conftest import next_ports
from .test_sipp_and_errors import SCENARIOS


def doctor(tmp_path, env: dict[str, str], port: int) -> subprocess.CompletedProcess:
    config = tmp_path / "voicebot.toml"
    config.write_text("")  # hermetic: no stray voicebot.toml, defaults plus the env below
    return subprocess.run([sys.executable, "-m", "voicebot", "doctor", "--port", str(port)], capture_output=True,
                          text=True, timeout=90, cwd=tmp_path,
                          env={**os.environ, "VOICEBOT_CONFIG": str(config), "VOICEBOT_SIP__BIND_HOST": "127.0.0.1",
                               **env})


def test_doctor_finds_nothing_wrong_on_a_healthy_setup(tmp_path, redis_server):
    port, rtp = next_ports()
    out = doctor(tmp_path, {"VOICEBOT_REDIS__URL": f"unix://{redis_server.socket_path}",
                            "VOICEBOT_SIP__RTP_PORT": str(rtp)}, port)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no problems found" in out.stdout
    assert "answers PING" in out.stdout


def test_doctor_names_each_problem_and_its_fix(tmp_path):
    port, rtp = next_ports()
    reg_port, _ = next_ports()
    dead_redis, _ = next_ports()
    # A registrar that takes the REGISTER (sipp, not a PBX: it leaves the doctor's OPTIONS unanswered, -m 2).
    registrar = subprocess.Popen(["sipp", "-nostdin", "-sf", str(SCENARIOS / "register_auth_uas.xml"),
                                  "-p", str(reg_port), "-m", "2", "-timeout", "40s"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", port))  # another program on the SIP port
    try:
        out = doctor(tmp_path, {"VOICEBOT_REDIS__URL": f"redis://127.0.0.1:{dead_redis}/0",
                                "VOICEBOT_ASR__WHISPER_MODEL": str(tmp_path / "no-such-whisper"),
                                "VOICEBOT_SIP__REGISTRAR": f"sip:127.0.0.1:{reg_port}",
                                "VOICEBOT_SIP__DOCTOR_PROBE_USERNAME": "doctor",
                                "VOICEBOT_SIP__DOCTOR_PROBE_PASSWORD": "wrong", "VOICEBOT_SIP__REALM": "voicebot.test",
                                "VOICEBOT_SIP__RTP_PORT": str(rtp)}, port)
    finally:
        squatter.close()
        registrar.kill()
        registrar.wait()
    report = out.stdout
    assert out.returncode == 1, report + out.stderr
    fails = [line for line in report.splitlines() if line.startswith("[FAIL]")]
    assert any(f"udp port {port}" in line and "taken" in line for line in fails), report
    assert any("no-such-whisper" in line for line in fails), report
    assert any(f"127.0.0.1:{dead_redis}" in line and "Redis" in line for line in fails), report
    assert any("registration" in line and "403" in line for line in fails), report
    assert "sip.doctor_probe_password" in report  # the fix for the refused registration
    assert "Traceback" not in out.stderr
