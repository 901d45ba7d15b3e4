"""Several voice-loop processes on one machine.

pjsua2-python's wheel is built with PJSUA_MAX_CALLS = 4: one process holds at most four calls
(measured: the fifth INVITE fails with PJ_ETOOMANY whatever ``uaConfig.maxCalls`` says). A server
that holds 16 conversations therefore runs four processes, each with its own SIP port and RTP
range, sharing Redis. This module starts such a group, relays the children's log lines (so
readiness can be seen), forwards SIGTERM and, for servers, restarts a child that died: a crash
in one process takes down at most its own four calls.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

from voicebot.logs import get_logger

PJSUA_CALL_SLOTS = 4  # calls one pjsua2-python process can hold
log = get_logger("voicebot.workers")


def split_calls(total: int, per_process: int = PJSUA_CALL_SLOTS) -> list[int]:
    """How many calls each process takes: 10 -> [4, 3, 3] (as even as possible)."""
    n = max(1, -(-total // per_process))
    return [total // n + (1 if i < total % n else 0) for i in range(n)]


@dataclass(frozen=True)
class ChildSpec:
    index: int
    sip_port: int
    rtp_port: int
    rtp_range: int
    metrics_port: int = 0  # 0 = none
    health_port: int = 0  # 0 = none

    def env(self) -> dict[str, str]:
        # SIP__WORKER numbers the process from 1: sip.username "voicebot{worker}" gives each its own
        # PBX account (asterisk-conf/), so the PBX can spread calls over them.
        env = {"VOICEBOT_SIP__PORT": str(self.sip_port), "VOICEBOT_SIP__RTP_PORT": str(self.rtp_port),
               "VOICEBOT_SIP__RTP_PORT_RANGE": str(self.rtp_range), "VOICEBOT_SIP__WORKER_PROCESSES": "1",
               "VOICEBOT_SIP__WORKER": str(self.index + 1)}
        if self.metrics_port:
            env["VOICEBOT_SUPERVISOR__METRICS_PORT"] = str(self.metrics_port)
        if self.health_port:
            env["VOICEBOT_OPS__HEALTH_PORT"] = str(self.health_port)
        return env


def child_specs(count: int, sip_port: int, rtp_port: int, rtp_range: int, metrics_port: int = 0,
                health_port: int = 0) -> list[ChildSpec]:
    """Process i: SIP port sip_port+i, its share of the RTP range, metrics on metrics_port+i, health on health_port+i."""
    share = max(40, rtp_range // count)  # each call needs 2 ports (RTP+RTCP); keep headroom
    return [ChildSpec(i, sip_port + i, rtp_port + i * share, share, metrics_port + i if metrics_port else 0,
                      health_port + i if health_port else 0)
            for i in range(count)]


class ProcessGroup:
    def __init__(self, argv_for: Callable[[ChildSpec], list[str]], specs: list[ChildSpec],
                 ready_marker: str = '"voicebot_ready"', restart: bool = True, stop_timeout_s: float = 60.0) -> None:
        self.argv_for, self.specs, self.ready_marker, self.restart = argv_for, specs, ready_marker, restart
        # How long children get after SIGTERM: servers drain their calls first (ops.drain_timeout_s).
        self.stop_timeout_s = stop_timeout_s
        self.procs: dict[int, subprocess.Popen[str]] = {}
        self.ready: set[int] = set()
        self.exit_codes: dict[int, int] = {}
        self.closed: set[int] = set()  # children whose output was read to its end
        self._stop = threading.Event()
        self._out_lock = threading.Lock()
        self._news = threading.Condition()  # a child became ready or closed its output (exited)

    def _spawn(self, spec: ChildSpec) -> None:
        cmd = [sys.executable, "-m", "voicebot", *self.argv_for(spec)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, **spec.env()})
        self.procs[spec.index] = proc
        self.closed.discard(spec.index)
        threading.Thread(target=self._relay, args=(spec.index, proc), daemon=True).start()
        log.info("worker_started", index=spec.index, pid=proc.pid, sip_port=spec.sip_port)

    def _relay(self, index: int, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None  # started with stdout=PIPE
        for line in proc.stdout:
            if self.ready_marker in line:
                with self._news:
                    self.ready.add(index)
                    self._news.notify_all()
            with self._out_lock:
                sys.stderr.write(line)
                sys.stderr.flush()
        with self._news:  # end of output: the child is exiting
            self.closed.add(index)
            self._news.notify_all()

    def start(self, ready_timeout_s: float = 180.0) -> bool:
        """Spawns every child; waits until each has logged the ready marker (0 s: don't wait)."""
        for spec in self.specs:
            self._spawn(spec)
        if ready_timeout_s <= 0:
            return True
        deadline = time.monotonic() + ready_timeout_s
        with self._news:
            while len(self.ready) < len(self.specs) and (left := deadline - time.monotonic()) > 0:
                # A child that exited without its ready line, once its output is read to the end (an
                # exit seen before its relay read the line is not a failure).
                if any(i in self.closed and i not in self.ready for i in self.procs):
                    return False
                # Woken by a ready line or a child's closed output; the timeout only bounds a child
                # that exits without closing the pipe it shares with a grandchild.
                self._news.wait(min(left, 1.0))
            return len(self.ready) == len(self.specs)

    def run(self) -> int:
        """Until SIGTERM/SIGINT (or, without restarts, until every child has exited). SIGHUP is passed on
        to every child (servers reload their dialogue plans)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self._stop.set())
        signal.signal(signal.SIGHUP, lambda *_: self._signal_children(signal.SIGHUP))
        while not self._stop.wait(0.5):
            for spec in self.specs:
                proc = self.procs[spec.index]
                code = proc.poll()
                if code is None or spec.index in self.exit_codes:
                    continue
                if self.restart:
                    log.error("worker_died", index=spec.index, code=code, action="restarting")
                    self.ready.discard(spec.index)
                    self._spawn(spec)
                else:
                    self.exit_codes[spec.index] = code
            if not self.restart and len(self.exit_codes) == len(self.specs):
                break
        self.stop(self.stop_timeout_s)
        return max(self.exit_codes.values(), default=0)

    def _signal_children(self, sig: int) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(sig)

    def stop(self, timeout_s: float = 60.0) -> None:
        self._stop.set()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + timeout_s
        for index, proc in self.procs.items():
            try:
                code = proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            self.exit_codes.setdefault(index, code)
