"""`voicebot rasa serve` as a user runs it, and a Rasa server that hangs or dies while a call is using it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from voicebot.config import load_settings
from voicebot.dialogue.base import CallInfo, Say, UserTurn
from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.session.engines import load_dialogue_factory

from .conftest import PLAN_FILES, next_rasa_port


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


def _turn(text: str) -> UserTurn:
    return UserTurn(text=text, confidence=0.9, start_s=1.0, end_s=2.0)


def test_served_model_hangs_then_dies_mid_call_and_the_call_goes_on(rasa_models, monkeypatch):
    project = rasa_models["en-US"].parent.parent  # <project>/models/voicebot.tar.gz
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

        # A dialplan call whose NLU is this server (dialogue.engine = rasa).
        monkeypatch.setenv("VOICEBOT_DIALOGUE__PLAN", str(PLAN_FILES["en-US"]))
        monkeypatch.setenv("VOICEBOT_DIALOGUE__ENGINE", "rasa")
        monkeypatch.setenv("VOICEBOT_DIALOGUE__RASA_URL", f"http://127.0.0.1:{port}")
        factory = load_dialogue_factory(load_settings())
        classifier = factory.plans[0].nlu
        call = CallInfo(uuid.uuid4().hex, "outbound", "sip:callee@127.0.0.1", "en-US", {"name": "Lee"})
        dialogue = factory.new_dialogue(call)
        dialogue.start(call)
        assert dialogue.on_user_turn(_turn("yes speaking"))  # greeting -> intro, recognised by Rasa
        state = dialogue.state

        # Hung server (stopped process, connection open): the turn waits at most the timeout, then moves on.
        os.kill(rasa_pid, signal.SIGSTOP)
        started = time.monotonic()
        hung = classifier.parse("I'm busy call me later")
        waited = time.monotonic() - started
        os.kill(rasa_pid, signal.SIGCONT)
        assert hung.intent == OUT_OF_SCOPE and hung.confidence == 0.0
        assert 0.9 * classifier.timeout_s < waited < classifier.timeout_s + 1.0, waited
        assert classifier.parse("I'm busy call me later").intent == "busy_call_later"  # recovers

        # The server goes away for good (SIGTERM to `voicebot rasa serve` stops its Rasa child too).
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0
        assert not Path(f"/proc/{rasa_pid}").exists() or "zombie" in Path(f"/proc/{rasa_pid}/status").read_text()
        started = time.monotonic()
        reply = dialogue.on_user_turn(_turn("sure go ahead"))
        assert time.monotonic() - started < 1.0  # a refused connection fails fast, no retry storm
        # The plan's "didn't catch that" branch: a reprompt in the same state, and the call goes on.
        assert reply and all(isinstance(a, Say) for a in reply) and dialogue.state == state and not dialogue.done
        assert dialogue.outcome()["intents"][-1] == OUT_OF_SCOPE
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(10)
        if rasa_pid is not None and Path(f"/proc/{rasa_pid}").exists():
            os.kill(rasa_pid, signal.SIGKILL)
