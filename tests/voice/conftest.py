"""Fixtures for end-to-end tests: a real bot process and real simulated phones over 127.0.0.1."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from voicebot.callee.harness import BotProcess, callee_command, finish_callee, read_transcript, start_callee

_ports = itertools.count(0)
# Separate runs on one machine (several checkouts) pick different blocks: VOICEBOT_TEST_PORT_BLOCK=0..3.
_BLOCK = int(os.environ.get("VOICEBOT_TEST_PORT_BLOCK", "0"))


def next_ports() -> tuple[int, int]:
    """A SIP port and an RTP port range nobody else in this run uses."""
    i = next(_ports)
    return 5200 + 400 * _BLOCK + 2 * i, 20000 + 8000 * _BLOCK + 100 * i


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(__file__).resolve().parents[1] / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="module")
def bot(tmp_path_factory, request):
    """The default bot: built-in scripted dialogue, default models, default codecs."""
    port, rtp = next_ports()
    with BotProcess(port, rtp, tmp_path_factory.mktemp("bot")) as proc:
        yield proc


class Phone:
    """Runs one callee-simulator process with a persona dict or a built-in persona name."""

    def __init__(self, workdir: Path, persona: dict | str, *, call: str | None = None,
                 codecs: list[str] | None = None, record: bool = True, timeout: float = 150.0) -> None:
        self.port, rtp = next_ports()
        self.workdir = workdir
        if isinstance(persona, dict):
            path = workdir / f"persona-{self.port}.yaml"
            path.write_text(yaml.safe_dump(persona, allow_unicode=True), encoding="utf-8")
            persona = str(path)
        self.report_path = workdir / f"report-{self.port}.json"
        cmd = callee_command(persona, self.port, rtp, self.report_path, call=call,
                             record_dir=workdir / "callee-rec" if record else None, codecs=codecs, timeout=timeout)
        self.log_path = workdir / f"callee-{self.port}.log"
        self.proc = start_callee(cmd, self.log_path)

    def wait_ready(self, timeout: float = 60.0) -> "Phone":
        """For answering phones: returns once the phone's SIP stack is listening."""
        import time

        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.log_path.exists() and '"sip_started"' in self.log_path.read_text(errors="replace"):
                return self
            assert self.proc.poll() is None, self.log_path.read_text(errors="replace")[-2000:]
            time.sleep(0.1)
        raise AssertionError(f"phone on port {self.port} did not start")

    @property
    def uri(self) -> str:
        return f"sip:phone@127.0.0.1:{self.port}"

    def report(self, timeout: float = 240.0) -> dict:
        return finish_callee(self.proc, self.report_path, timeout)


def call_result(bot: BotProcess, since: int, call_count: int = 1) -> list[dict]:
    """The bot's `call_finished` records logged after ``since`` (waits for them)."""
    found = bot.wait_events("call_finished", call_count, since, timeout=30)
    if len(found) < call_count:  # say why: the bot's own last words (stall dumps, crashes, stuck sessions)
        alive = "running" if bot.proc is not None and bot.proc.poll() is None else f"exited {bot.proc.returncode}"
        tail = "".join(line[:400] for line in bot.lines[since:][-25:])
        raise AssertionError(f"bot logged {len(found)} finished calls, expected {call_count}; bot {alive}; "
                             f"log since mark:\n{tail}")
    return found


def channel_rms(wav_path: str) -> tuple[float, float]:
    data, _ = sf.read(wav_path, dtype="int16")
    assert data.ndim == 2 and data.shape[1] == 2, "recording must be stereo"
    x = data.astype(np.float64)
    return float(np.sqrt((x[:, 0] ** 2).mean())), float(np.sqrt((x[:, 1] ** 2).mean()))


__all__ = ["Phone", "call_result", "channel_rms", "read_transcript", "next_ports"]


@pytest.fixture(scope="session")
def cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (key, certificate), for the bot's, the phones' and
    Kamailio's TLS; made here, nothing secret is checked in."""
    import subprocess

    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")], check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"
