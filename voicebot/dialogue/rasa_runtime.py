"""Running Rasa itself: it lives in its own venv (``.venv-rasa``, Python 3.10, made by scripts/setup-rasa.sh)
because Rasa 3.6 does not run on voicebot's Python 3.11, so it is driven as a subprocess."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

log = get_logger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"


class RasaRuntimeError(VoicebotError):
    """Rasa is not installed, or training / serving a model failed."""


def find_rasa(configured: str = "") -> Path:
    """The ``rasa`` executable: the configured one, else the repo's ``.venv-rasa``."""
    path = Path(configured).expanduser() if configured else DEFAULT_RASA_BIN
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise RasaRuntimeError(
            f"rasa executable {path} not found; run scripts/setup-rasa.sh "
            "(or set dialogue.rasa_bin to a Rasa 3.6 installation)"
        )
    return path


def rasa_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(
        RASA_TELEMETRY_ENABLED="false",  # no phoning home, no first-run prompt
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        CUDA_VISIBLE_DEVICES="",
        PYTHONUNBUFFERED="1",
    )
    return env


def train_model(rasa_bin: Path, project_dir: Path, model_name: str = "voicebot", timeout_s: float = 900.0) -> Path:
    """``rasa train`` on an exported project; returns the model archive (``<project>/models/<name>.tar.gz``)."""
    project_dir = Path(project_dir).resolve()
    cmd = [
        str(rasa_bin), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", "models", "--fixed-model-name", model_name, "--quiet",
    ]
    started = time.monotonic()
    log.info("rasa.train_start", project=str(project_dir))
    try:
        proc = subprocess.run(cmd, cwd=project_dir, env=rasa_env(), capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise RasaRuntimeError(f"rasa train in {project_dir} took longer than {timeout_s:.0f} s") from exc
    model = project_dir / "models" / f"{model_name}.tar.gz"
    if proc.returncode != 0 or not model.is_file():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise RasaRuntimeError(f"rasa train failed in {project_dir} (exit {proc.returncode}):\n{tail}")
    log.info("rasa.trained", model=str(model), seconds=round(time.monotonic() - started, 1))
    return model


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGTERM to the Rasa child if voicebot dies without stopping it, so a
    crashed test run or server never leaves a 600 MB Rasa process behind."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class RasaServer:
    """``rasa run --enable-api`` (``/model/parse``, ``/status``) plus the REST channel webhook, as a child process."""

    def __init__(self, rasa_bin: Path, model: Path, port: int, host: str = "127.0.0.1",
                 log_path: Path | None = None) -> None:
        self.rasa_bin, self.model, self.port, self.host = rasa_bin, Path(model), port, host
        self.log_path = log_path or self.model.with_suffix(f".{port}.log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, ready_timeout_s: float = 180.0) -> "RasaServer":
        if not self.model.is_file():
            raise RasaRuntimeError(f"Rasa model {self.model} does not exist; train one with `voicebot rasa train`")
        cmd = [
            str(self.rasa_bin), "run", "--enable-api", "--model", str(self.model), "--interface", self.host,
            "--port", str(self.port), "--connector", "rest", "--quiet",
        ]
        started = time.monotonic()
        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(cmd, env=rasa_env(), stdout=log_file, stderr=subprocess.STDOUT,
                                            cwd=self.model.parent, start_new_session=True,
                                            preexec_fn=_die_with_parent)
        self._wait_ready(ready_timeout_s)
        log.info("rasa.server_ready", url=self.url, pid=self.process.pid, seconds=round(time.monotonic() - started, 1))
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RasaRuntimeError(
                    f"rasa server on port {self.port} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/status", timeout=2) as response:
                    if json.loads(response.read()).get("model_file"):
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RasaRuntimeError(f"rasa server on port {self.port} not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> "RasaServer":
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
