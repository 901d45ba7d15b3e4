"""Measuring how many calls this machine carries: the real bot (``voicebot serve``, a process group
above four calls) and that many callee simulators over SIP/RTP on 127.0.0.1.

Each simulator calls, says its five turns as soon as the bot is done, hangs up and calls again until
the point's time is over. Measured per point: end of callee speech -> first bot audio as the callee
heard it (RTP included), turns answered, WER of the bot's transcripts, the bot's CPU and peak RSS,
and the callee simulators' CPU next to it (the rig's cost is not the bot's). Used by
``voicebot capacity rate`` and by benchmarks/capacity.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from voicebot.asr.utterances import word_errors
from voicebot.callee.dialler import LINE_STAGGER_S, read_reports
from voicebot.callee.harness import BotProcess, start_callee
from voicebot.capacity_rating import LoadPoint

TURNS = [  # the scripted plan's questions: the same five at every load, so WER compares across loads
    "What are your opening hours?",
    "How much does the basic plan cost?",
    "When do you close on Friday?",
    "And what is the price of the plan again?",
    "Okay, thank you. Goodbye.",
]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ProbePorts:
    """Apart from a live bot's 5060 and the test suite's 5200+ (SIP) and 20000+ (RTP)."""
    bot_sip: int = 5150
    bot_rtp: int = 30000
    phone_sip: int = 7100
    phone_rtp: int = 34000


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(q * (len(s) - 1))))], 1)


# --- CPU and memory from /proc (no extra dependency) -----------------------------------------
def children_of() -> dict[int, list[int]]:
    """Every process's children, by parent pid, from /proc."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                ppid = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    return kids


def process_tree(roots: list[int], kids: dict[int, list[int]]) -> list[int]:
    out, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def _usage(pids: list[int]) -> tuple[float, float]:
    """(cpu seconds, rss MB) summed over ``pids``."""
    cpu = rss = 0.0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICK
            rss += int(open(f"/proc/{pid}/statm").read().split()[1]) * PAGE / 2**20
        except (OSError, IndexError, ValueError):
            continue
    return cpu, rss


def _machine_busy() -> tuple[float, float]:
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = f[3] + f[4]
    return sum(f) - idle, sum(f)


class Sampler:
    """Once a second: CPU of the bot tree and of the callee simulators, and bot RSS."""

    def __init__(self, bot_roots: list[int], callee_pids: set[int]) -> None:
        self.bot_roots, self.callee_pids = bot_roots, callee_pids
        self.bot_cpu = 0.0
        self.peak_rss = 0.0
        self.elapsed = 1.0
        self.machine_busy_pct = 0.0
        self._last_callee: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        t0 = time.monotonic()
        cpu0, _ = _usage(process_tree(self.bot_roots, children_of()))
        busy0 = _machine_busy()
        while not self._stop.wait(1.0):
            kids = children_of()
            cpu, rss = _usage(process_tree(self.bot_roots, kids))
            self.peak_rss = max(self.peak_rss, rss)
            self.bot_cpu = cpu - cpu0
            for pid in list(self.callee_pids):
                c, _ = _usage(process_tree([pid], kids))
                if c:
                    self._last_callee[pid] = c
            self.elapsed = time.monotonic() - t0
            busy = _machine_busy()
            self.machine_busy_pct = 100.0 * (busy[0] - busy0[0]) / max(1, busy[1] - busy0[1])

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(3)
        return {"bot_cpu_pct_of_one_core": round(100 * self.bot_cpu / self.elapsed, 1),
                "bot_rss_mb_peak": round(self.peak_rss),
                "callee_simulators_cpu_pct_of_one_core": round(100 * sum(self._last_callee.values()) / self.elapsed, 1),
                "machine_busy_pct": round(self.machine_busy_pct, 1),
                "machine_cores": os.cpu_count(),
                "load_average_1min_at_end": round(os.getloadavg()[0], 1)}


PHONE_LINES = 4  # calls per dialler process: sip.max_calls, as on the bot's side


def _dial(work: Path, persona: Path, calls: int, bots: int, ports: ProbePorts,
          duration_s: float) -> list[tuple[subprocess.Popen, Path]]:
    """Dialler processes with ``calls`` lines in all; line i calls bot process i % bots. Each line calls
    again as soon as its conversation ends, until the point's time is over."""
    out = []
    for k in range(-(-calls // PHONE_LINES)):
        lines = range(k * PHONE_LINES, min(calls, (k + 1) * PHONE_LINES))
        uris = [f"sip:bot@127.0.0.1:{ports.bot_sip + i % bots}" for i in lines]
        reports = work / f"dialler-{k}"
        cmd = [sys.executable, "-m", "voicebot", "callee", "--persona", str(persona), "--dial", *uris,
               "--for", str(duration_s - k * PHONE_LINES * LINE_STAGGER_S), "--reports-dir", str(reports),
               "--port", str(ports.phone_sip + 2 * k), "--rtp-port", str(ports.phone_rtp + 100 * k), "--timeout", "240"]
        out.append((start_callee(cmd, work / f"dialler-{k}.log"), reports))
        time.sleep(PHONE_LINES * LINE_STAGGER_S)  # the lines of one dialler start LINE_STAGGER_S apart
    return out


def run_point(calls: int, duration_s: float, env: dict[str, str] | None = None,
              ports: ProbePorts = ProbePorts(), asr_service=None) -> dict:
    """One load point; ``asr_service``: a started recognition service to send the bot's turns to."""
    work = Path(tempfile.mkdtemp(prefix="vb-cap-"))
    persona = work / "persona.yaml"
    # Talks back at once: no extra pause, and the bot counts as done after 600 ms of its silence.
    persona.write_text(yaml.safe_dump({"name": "capacity", "bot_done_silence_ms": 600, "reply_timeout_s": 15.0,
                                       "turns": [{"say": t} for t in TURNS]}))
    bots = -(-calls // 4)
    # The figure is the wait for the reply itself: no holding line ("one moment") in front of it,
    # which the simulated callee would take for the reply.
    env = {"VOICEBOT_TURN__REPLY_FILLER_AFTER_S": "0", "VOICEBOT_DIALOGUE__PLAN": "scripted",
           "VOICEBOT_DIALOGUE__LOCALE": "en-US", **(env or {})}
    if asr_service is not None:
        env["VOICEBOT_ASR__SERVICE"] = asr_service.path
    # --force: measuring beyond the current rating is the point of a probe.
    group = ["--force"] + (["--workers", str(bots)] if bots > 1 else [])
    marker = '"voicebot_pool_ready"' if bots > 1 else '"voicebot_ready"'
    load_at_start = os.getloadavg()[0]
    with BotProcess(ports.bot_sip, ports.bot_rtp, work / "bot", env=env, args=group, ready_marker=marker,
                    ready_timeout=300) as bot:
        mark = bot.mark()
        roots = [bot.proc.pid] + ([asr_service.proc.pid] if asr_service is not None else [])
        diallers = _dial(work, persona, calls, bots, ports, duration_s)
        sampler = Sampler(roots, {p.pid for p, _ in diallers}).start()
        failed = 0
        for proc, _ in diallers:
            try:
                proc.wait(duration_s + 300)
            except subprocess.TimeoutExpired:
                proc.kill()
                failed += 1
        usage = sampler.stop()
        reports = [r for _, folder in diallers for r in read_reports(folder)]
        failed += sum(1 for r in reports if r.get("error"))  # a phone that could not call: not the bot's fault
        heard = [t["reply_latency_ms"] for r in reports for t in r["turns"] if t.get("reply_latency_ms") is not None]
        said = sum(len(r["turns"]) for r in reports)
        finished = bot.wait_events("call_finished", len(reports), mark, timeout=60)
        turns_by_call: dict[str, list[str]] = {}
        asr_ms = []
        for rec in bot.events("user_turn", mark):
            turns_by_call.setdefault(rec.get("call_id", ""), []).append(rec.get("text", ""))
            asr_ms.append(rec["asr_ms"])
        wer_errors = wer_words = 0
        for texts in turns_by_call.values():
            e, w = word_errors(" ".join(TURNS), " ".join(texts))
            wer_errors, wer_words = wer_errors + e, wer_words + w
        media = [r.get("media", {}) for r in finished]
    return {
        "calls": calls, "bot_processes": bots, "duration_s": duration_s,
        "conversations": len(reports), "callee_simulators_failed": failed,
        "turns_said": said, "turns_answered": len(heard),
        "callee_heard_ms": {"p50": pct(heard, 0.5), "p95": pct(heard, 0.95), "max": max(heard, default=None)},
        "asr_ms": {"p50": pct(asr_ms, 0.5), "p95": pct(asr_ms, 0.95)},
        "wer": round(wer_errors / wer_words, 4) if wer_words else None, "wer_words": wer_words,
        "playout_underruns": sum(m.get("playout_underruns", 0) for m in media),
        "speculation_shed": sum(m.get("speculation_shed", 0) for m in media),
        "late_clock_ticks": sum(m.get("late_ticks", 0) for m in media),
        "max_clock_gap_ms": max((m.get("max_tick_gap_ms", 0) for m in media), default=None),
        "load_average_1min_at_start": round(load_at_start, 2),
        **usage,
    }


def load_point(point: dict) -> LoadPoint:
    heard = point["callee_heard_ms"]
    return LoadPoint(point["calls"], point["duration_s"], point["conversations"], point["turns_said"],
                     point["turns_answered"], heard["p50"], heard["p95"], point.get("machine_busy_pct", 0.0),
                     point.get("load_average_1min_at_start", 0.0))
