"""Run the bot and simulated phones as separate processes (pjsua2 allows one endpoint per process).

Used by ``voicebot demo``, the tests and the benchmarks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Tests stay on loopback (the server default binds every interface), and a stopped test bot
    # drains only briefly.
    env.setdefault("VOICEBOT_SIP__BIND_HOST", "127.0.0.1")
    env.setdefault("VOICEBOT_OPS__DRAIN_TIMEOUT_S", "3")
    env.update(extra or {})
    return env


class BotProcess:
    """``voicebot serve`` in a child process; ``start()`` returns once it logs ``voicebot_ready``."""

    def __init__(self, port: int, rtp_port: int, workdir: Path, env: dict[str, str] | None = None,
                 args: list[str] | None = None, ready_timeout: float = 120.0,
                 ready_marker: str = '"voicebot_ready"') -> None:
        self.port = port
        self.workdir = workdir
        self.log_path = workdir / f"bot-{port}.log"
        self.cmd = [sys.executable, "-m", "voicebot", "serve", "--port", str(port), "--rtp-port", str(rtp_port),
                    *(args or [])]
        self.env = _env({"VOICEBOT_PATHS__RECORDINGS_DIR": str(workdir / "recordings"), **(env or {})})
        self.ready_timeout = ready_timeout
        self.ready_marker = ready_marker  # a process group (serve --workers N) says "voicebot_pool_ready"
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []
        self._ready = threading.Event()

    @property
    def uri(self) -> str:
        return f"sip:bot@127.0.0.1:{self.port}"

    def start(self) -> BotProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(self.cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     env=self.env, text=True, cwd=os.getcwd())
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.time() + self.ready_timeout
        while not self._ready.wait(0.2):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                tail = "".join(self.lines[-30:])
                raise RuntimeError(f"voicebot serve did not become ready (exit {self.proc.returncode}):\n{tail}")
        return self

    def _read(self) -> None:
        with open(self.log_path, "w", encoding="utf-8") as log:
            for line in self.proc.stderr:
                self.lines.append(line)
                log.write(line)
                log.flush()
                if self.ready_marker in line:
                    self._ready.set()

    def mark(self) -> int:
        """A position in the log; ``events(name, since=mark)`` sees only what came after."""
        return len(self.lines)

    def wait_events(self, name: str, count: int = 1, since: int = 0, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.time() + timeout
        while True:
            found = self.events(name, since)
            if len(found) >= count or time.time() > deadline:
                return found
            time.sleep(0.1)

    def events(self, name: str, since: int = 0) -> list[dict[str, Any]]:
        out = []
        for line in list(self.lines)[since:]:
            if f'"{name}"' in line:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if record.get("event") == name:
                    out.append(record)
        return out

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def callee_command(persona: str, port: int, rtp_port: int, report: Path, *, call: str | None = None,
                   record_dir: Path | None = None, codecs: list[str] | None = None,
                   timeout: float = 180.0, wait: float = 60.0) -> list[str]:
    cmd = [sys.executable, "-m", "voicebot", "callee", "--persona", persona, "--port", str(port),
           "--rtp-port", str(rtp_port), "--report", str(report), "--timeout", str(timeout)]
    cmd += ["--call", call] if call else ["--answer", "--wait", str(wait)]
    if record_dir:
        cmd += ["--record-dir", str(record_dir)]
    if codecs:
        cmd += ["--codecs", *codecs]
    return cmd


def start_callee(cmd: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(log_path, "w"), env=_env(env))


def finish_callee(proc: subprocess.Popen, report: Path, timeout: float = 240.0) -> dict[str, Any]:
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise RuntimeError(f"callee simulator did not finish within {timeout:.0f} s")
    if not report.exists():
        raise RuntimeError(f"callee simulator exited {proc.returncode} without a report ({report})")
    return json.loads(report.read_text(encoding="utf-8"))


def read_transcript(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
