"""The soak's telephone network: a carrier proxy (Kamailio) in front of several phone banks, and a
sampler of every process's memory, file descriptors and threads.

A phone bank is one pjsua2 process, so it answers at most four calls at once. The carrier spreads the
bot's INVITEs over the banks round-robin and hunts on (486/503) to the next bank when one is full, as a
carrier's trunk group does; every bank knows every number, so any bank can take any call.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from voicebot.ops.capacity_probe import children_of, process_tree

KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

CARRIER_CFG = """#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
alias="127.0.0.1:{port}"
mpath="{modules}"
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "{dispatcher}")
modparam("dispatcher", "flags", 2)  # failover: without it ds_next_dst() finds nothing and a full bank's 486 reaches the bot
modparam("tm", "fr_inv_timer", 120000)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route() || is_method("ACK|BYE|CANCEL|INFO|NOTIFY|REFER|UPDATE|INVITE")) {{ t_relay(); }}
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (!is_method("INVITE")) {{ sl_send_reply("405", "Method Not Allowed"); exit; }}
    record_route();
    if (!ds_select_dst("1", "4")) {{ sl_send_reply("503", "No Banks"); exit; }}
    t_on_failure("HUNT");
    t_relay();
}}

failure_route[HUNT] {{
    if (t_is_canceled()) {{ exit; }}
    if (t_check_status("486|503") && ds_next_dst()) {{
        t_on_failure("HUNT");
        t_relay();
    }}
}}
"""


class Carrier:
    """Kamailio as a trunk group: UDP on ``port``, banks at ``bank_ports`` on 127.0.0.1."""

    def __init__(self, workdir: Path, port: int, bank_ports: list[int]) -> None:
        self.workdir, self.port, self.bank_ports = workdir, port, bank_ports
        self.log_path = workdir / "carrier.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Carrier:
        self.workdir.mkdir(parents=True, exist_ok=True)
        dispatcher = self.workdir / "dispatcher.list"
        dispatcher.write_text("".join(f"1 sip:127.0.0.1:{p}\n" for p in self.bank_ports))
        cfg = self.workdir / "carrier.cfg"
        cfg.write_text(CARRIER_CFG.format(port=self.port, modules=KAMAILIO_MODULES, dispatcher=dispatcher))
        check = subprocess.run(["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"carrier config refused by kamailio:\n{check.stderr[-2000:]}")
        self.proc = subprocess.Popen(["kamailio", "-DD", "-E", "-f", str(cfg), "-Y", str(self.workdir),
                                      "-w", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        deadline = time.time() + 20
        while time.time() < deadline:
            if f"127.0.0.1:{self.port} " in subprocess.run(["ss", "-lun"], capture_output=True, text=True).stdout:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("carrier (kamailio) did not start:\n" + self.log_path.read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- per-process resources from /proc --------------------------------------------------------------
def process_usage(pid: int) -> dict | None:
    """RSS (MB), open file descriptors, threads and CPU seconds of one process, or None once it is gone."""
    try:
        stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        rss = int(open(f"/proc/{pid}/statm").read().split()[1]) * PAGE / 2**20
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        cmd = open(f"/proc/{pid}/cmdline").read().replace("\0", " ").strip()
    except (OSError, IndexError, ValueError):
        return None
    return {"rss_mb": round(rss, 1), "fds": fds, "threads": int(stat[17]),
            "cpu_s": round((int(stat[11]) + int(stat[12])) / TICK, 1), "cmd": cmd[:160]}


@dataclass
class ProcessSampler:
    """Every ``every_s``: each watched process tree's members, by pid. ``roots``: role -> root pid."""
    roots: dict[str, int]
    every_s: float = 30.0
    samples: list[dict] = field(default_factory=list)  # {"t": seconds since start, "procs": {pid: usage+role}}
    _stop: threading.Event = field(default_factory=threading.Event)
    _t0: float = field(default_factory=time.monotonic)

    def start(self) -> ProcessSampler:
        self._t0 = time.monotonic()
        threading.Thread(target=self._run, daemon=True, name="soak-sampler").start()
        return self

    def sample(self) -> dict:
        kids = children_of()
        procs = {}
        for role, root in self.roots.items():
            for pid in process_tree([root], kids):
                usage = process_usage(pid)
                if usage is not None and not usage["cmd"].startswith(("sox", "/bin/sh")):
                    procs[str(pid)] = {"role": role, **usage}
        snap = {"t": round(time.monotonic() - self._t0, 1), "procs": procs}
        self.samples.append(snap)
        return snap

    def _run(self) -> None:
        self.sample()
        while not self._stop.wait(self.every_s):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
