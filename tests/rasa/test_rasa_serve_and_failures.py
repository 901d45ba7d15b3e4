"""`voicebot rasa serve` as a user runs it, and a Rasa server that hangs or dies while calls are using it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.rasa_client import RasaIntentClassifier

from .conftest import next_rasa_port


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _wait_for_line(proc: subprocess.Popen, needle: str, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"no {needle!r} from `voicebot rasa serve` within {timeout_s} s:\n{''.join(seen)}")


def test_served_model_hangs_then_dies_mid_call_and_the_call_goes_on(sample_models):
    project = sample_models["en-US"].parent.parent  # <project>/models/voicebot.tar.gz
    port = next_rasa_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "voicebot", "--log-level", "WARNING", "rasa", "serve", str(project),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    rasa_pid = None
    try:
        line = _wait_for_line(serve, "Rasa serving", timeout_s=240)
        assert f"VOICEBOT_DIALOGUE__RASA_URL=http://127.0.0.1:{port}" in line
        (rasa_pid,) = _children(serve.pid)
        classifier = RasaIntentClassifier(f"http://127.0.0.1:{port}", threshold=0.3, timeout_s=1.0)
        assert classifier.parse("how much does it cost").intent == "ask_price"

        # Hung server (stopped process, connection open): the turn waits at most the timeout, then moves on.
        os.kill(rasa_pid, signal.SIGSTOP)
        started = time.monotonic()
        hung = classifier.parse("I'm busy call me later")
        waited = time.monotonic() - started
        os.kill(rasa_pid, signal.SIGCONT)
        assert hung.intent == OUT_OF_SCOPE and hung.confidence == 0.0
        assert 0.9 < waited < 2.5, waited
        assert classifier.parse("I'm busy call me later").intent == "busy"  # recovers once the server answers

        # The server goes away for good (SIGTERM to `voicebot rasa serve` stops its Rasa child too).
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0
        assert not Path(f"/proc/{rasa_pid}").exists() or "zombie" in Path(f"/proc/{rasa_pid}/status").read_text()
        started = time.monotonic()
        gone = [classifier.parse(text) for text in ("yes please", "no thanks", "transfer me to a person")]
        assert all(r.intent == OUT_OF_SCOPE and r.confidence == 0.0 for r in gone)
        assert time.monotonic() - started < 1.5  # refused connections fail fast, no retry storm
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(10)
        if rasa_pid is not None and Path(f"/proc/{rasa_pid}").exists():
            os.kill(rasa_pid, signal.SIGKILL)
