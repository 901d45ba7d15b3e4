"""``voicebot asr-service``, and starting one for a process group (``serve --workers N``, campaigns)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from voicebot.config import Settings
from voicebot.engine_registry import ASR_ENGINES
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

log = get_logger("voicebot.asr.service")
READY = '"asr_service_ready"'
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("asr-service", help="one Whisper model for every call process on this machine")
    p.add_argument("--socket", help="unix socket to listen on (default: asr.service if it is a path)")
    p.add_argument("--threads", type=int, help="model threads (default: asr.service_threads, 0 = every core)")
    p.add_argument("--packing", choices=["pack", "batch", "off"], help="default: asr.service_packing")
    p.set_defaults(func=cmd_asr_service)


def cmd_asr_service(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.asr import load_recognizer
    from voicebot.asr.service import RecognitionService
    from voicebot.asr.whisper import WhisperRecognizer

    path = args.socket or (settings.asr.service if settings.asr.service not in ("off", "auto") else "")
    if not path:
        print("voicebot asr-service: give --socket PATH (or set asr.service to a socket path)", file=sys.stderr)
        return 2
    if not ASR_ENGINES.get(settings.asr.backend).capabilities.shared_service:
        able = [s.name for s in ASR_ENGINES.specs() if s.capabilities.shared_service]
        print(f"voicebot asr-service: asr.backend={settings.asr.backend!r} cannot run in the shared service; "
              f"engines that can: {', '.join(able)}", file=sys.stderr)
        return 2
    local = settings.model_copy(deep=True)
    local.asr.service = "off"  # this process owns the model
    local.asr.cpu_threads = args.threads or settings.asr.service_threads or os.cpu_count() or 1
    recognizer = load_recognizer(local)
    assert isinstance(recognizer, WhisperRecognizer)
    import numpy as np

    recognizer.transcribe(np.zeros(8000, dtype=np.int16), "en")  # warm before the first caller
    service = RecognitionService(recognizer, path, args.packing or settings.asr.service_packing,
                                 settings.asr.service_gap_s).start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("asr_service_ready", socket=path, threads=local.asr.cpu_threads, model=recognizer.name)
    while not stop.wait(30):
        _log_stats(service)
    service.stop()
    _log_stats(service)
    return 0


def _log_stats(service) -> None:
    s = service.stats
    log.info("asr_service_stats", windows=s.windows, utterances=s.utterances, packed_windows=s.packed_windows,
             split_failures=s.split_failures, superseded=s.superseded, cancelled=s.cancelled,
             errors=s.errors, queued=len(service.queue))


def default_socket_path(settings: Settings) -> str:
    path = str(settings.paths.cache_dir / "asr" / f"service-{os.getpid()}.sock")
    if len(path.encode()) > MAX_SOCKET_PATH:  # a deep cache dir: unix socket paths are short
        path = os.path.join(tempfile.gettempdir(), f"voicebot-asr-{os.getpid()}.sock")
    return path


class ServiceProcess:
    """A ``voicebot asr-service`` child of a process group; restarted if it dies."""

    def __init__(self, socket_path: str) -> None:
        self.path = socket_path
        self.proc: subprocess.Popen | None = None
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self.last_stats: dict = {}  # the service's last asr_service_stats log record

    def start(self, timeout_s: float = 120.0) -> ServiceProcess:
        self._spawn()
        deadline = time.time() + timeout_s
        while not self._ready.wait(0.2):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise VoicebotError(f"the recognition service did not start on {self.path} "
                                    f"(exit {self.proc.returncode}); its log lines are above")
        threading.Thread(target=self._watch, name="asr-service-watch", daemon=True).start()
        return self

    def _spawn(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._ready.clear()
        self.proc = subprocess.Popen([sys.executable, "-m", "voicebot", "asr-service", "--socket", self.path],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._relay, args=(self.proc,), daemon=True).start()
        log.info("asr_service_started", pid=self.proc.pid, socket=self.path)

    def _relay(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            if READY in line:
                self._ready.set()
            elif '"asr_service_stats"' in line:
                try:
                    self.last_stats = json.loads(line)
                except ValueError:
                    pass
            sys.stderr.write(line)
            sys.stderr.flush()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            if self.proc is not None and self.proc.poll() is not None:
                log.error("asr_service_died", code=self.proc.returncode, action="restarting")
                self._spawn()  # call workers reconnect on their next utterance

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def group_service(settings: Settings, processes: int) -> ServiceProcess | None:
    """For a group of call processes: start the machine's service when asr.service says so, and
    point the children at it (they inherit the environment). None = each loads its own model."""
    if (settings.asr.service != "auto" or processes <= 1
            or not ASR_ENGINES.get(settings.asr.backend).capabilities.shared_service):
        return None
    service = ServiceProcess(default_socket_path(settings)).start()
    os.environ["VOICEBOT_ASR__SERVICE"] = service.path
    return service
