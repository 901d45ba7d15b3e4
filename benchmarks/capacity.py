"""How many conversations one machine holds: reply latency, CPU and RSS against concurrent calls.

For each configuration and each level of concurrency, runs the real bot (``voicebot serve``, a
process group above four calls) and that many callee simulators over SIP/RTP on 127.0.0.1. Each
simulator calls, says its five turns as soon as the bot is done, hangs up and calls again, until
``--duration`` is over. Measured per point:

- end of callee speech -> first bot audio as the callee hears it (p50, p95, max), RTP included;
- turns answered / turns said, and the bot's playout underruns (queue ran dry inside a line);
- WER of the bot's transcripts against what the callees said (the same five sentences at every
  level, so WER at 1 call and at 16 calls compare directly);
- CPU (percent of one core, averaged) and peak RSS of the bot's processes incl. the recognition
  service; the callee simulators' CPU and the whole machine's busy share, to judge the load.

Configurations: ``per-process`` (every bot process loads Whisper, today's way), ``service``
(one recognition service, packing), ``service-batch``, ``service-nopack``, and ``-tiny.en``
variants. Results merge into benchmarks/results/capacity.json (a point measured again replaces
the old one).

    .venv/bin/python benchmarks/capacity.py --configs per-process service --calls 1 4 8 16 --duration 600
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from voicebot.asr.utterances import word_errors  # noqa: E402
from voicebot.callee.harness import BotProcess, callee_command, finish_callee, start_callee  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TURNS = [  # the same five as benchmarks/latency.py
    "What are your opening hours?",
    "How much does the basic plan cost?",
    "When do you close on Friday?",
    "And what is the price of the plan again?",
    "Okay, thank you. Goodbye.",
]
CONFIGS: dict[str, dict[str, str]] = {
    "per-process": {"VOICEBOT_ASR__SERVICE": "off"},
    "service": {"VOICEBOT_ASR__SERVICE_PACKING": "pack"},
    "service-batch": {"VOICEBOT_ASR__SERVICE_PACKING": "batch"},
    "service-nopack": {"VOICEBOT_ASR__SERVICE_PACKING": "off"},
    "per-process-tiny.en": {"VOICEBOT_ASR__SERVICE": "off", "VOICEBOT_ASR__WHISPER_MODEL": "tiny.en"},
    "service-tiny.en": {"VOICEBOT_ASR__SERVICE_PACKING": "pack", "VOICEBOT_ASR__WHISPER_MODEL": "tiny.en"},
}
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(q * (len(s) - 1))))], 1)


# --- CPU and memory from /proc (no extra dependency) -----------------------------------------
def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                ppid = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree(roots: list[int], kids: dict[int, list[int]]) -> list[int]:
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
        self.bot_cpu = self.callee_cpu = 0.0
        self.peak_rss = 0.0
        self._first: tuple[float, float, float, tuple[float, float]] | None = None
        self._last_callee: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        t0 = time.monotonic()
        cpu0, _ = _usage(_tree(self.bot_roots, _children()))
        busy0 = _machine_busy()
        while not self._stop.wait(1.0):
            kids = _children()
            cpu, rss = _usage(_tree(self.bot_roots, kids))
            self.peak_rss = max(self.peak_rss, rss)
            self.bot_cpu = cpu - cpu0
            for pid in list(self.callee_pids):
                c, _ = _usage(_tree([pid], kids))
                if c:
                    self._last_callee[pid] = c
            self.elapsed = time.monotonic() - t0
            busy = _machine_busy()
            self.machine_busy_pct = 100.0 * (busy[0] - busy0[0]) / max(1, busy[1] - busy0[1])

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(3)
        elapsed = getattr(self, "elapsed", 1.0)
        return {"bot_cpu_pct_of_one_core": round(100 * self.bot_cpu / elapsed, 1),
                "bot_rss_mb_peak": round(self.peak_rss),
                "callee_simulators_cpu_pct_of_one_core": round(100 * sum(self._last_callee.values()) / elapsed, 1),
                "machine_busy_pct": round(getattr(self, "machine_busy_pct", 0.0), 1),
                "machine_cores": os.cpu_count(),
                "load_average_1min_at_end": round(os.getloadavg()[0], 1)}


# --- one point ----------------------------------------------------------------------------------
def run_point(config: str, calls: int, duration_s: float, env: dict[str, str]) -> dict:
    work = Path(tempfile.mkdtemp(prefix="vb-cap-"))
    persona = work / "persona.yaml"
    # Talks back at once: no extra pause, and the bot counts as done after 600 ms of its silence.
    persona.write_text(yaml.safe_dump({"name": "capacity", "bot_done_silence_ms": 600, "reply_timeout_s": 15.0,
                                       "turns": [{"say": t} for t in TURNS]}))
    bots = -(-calls // 4)
    # The figure is the wait for the reply itself: no holding line ("one moment") in front of it,
    # which the callee would take for the reply. The holding line is tested in tests/session.
    env = {"VOICEBOT_TURN__REPLY_FILLER_AFTER_S": "0", **env}
    service = None
    if config.startswith("service"):
        from voicebot.asr.service_commands import ServiceProcess

        sock = os.path.join(tempfile.gettempdir(), f"vb-cap-asr-{os.getpid()}.sock")
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the service reads the model and packing from its environment
        try:
            service = ServiceProcess(sock).start()
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        env["VOICEBOT_ASR__SERVICE"] = sock
    group = ["--workers", str(bots)] if bots > 1 else []
    marker = '"voicebot_pool_ready"' if bots > 1 else '"voicebot_ready"'
    callee_ms: list[float] = []
    said = answered = calls_done = failed_calls = 0
    wer_errors = wer_words = 0
    callee_pids: set[int] = set()
    lock = threading.Lock()
    try:
        with BotProcess(5150, 30000, work / "bot", env=env, args=group, ready_marker=marker, ready_timeout=300) as bot:
            mark = bot.mark()
            roots = [bot.proc.pid] + ([service.proc.pid] if service else [])
            sampler = Sampler(roots, callee_pids).start()
            end_at = time.time() + duration_s

            def slot(i: int) -> None:
                nonlocal said, answered, calls_done, failed_calls
                n = 0
                while time.time() < end_at:
                    report = work / f"report-{i}-{n}.json"
                    # Phones on 7100+ (the test suite's SIP ports start at 5200).
                    cmd = callee_command(str(persona), 7100 + 2 * i, 34000 + 100 * i, report,
                                         call=f"sip:bot@127.0.0.1:{5150 + i % bots}", timeout=240)
                    proc = start_callee(cmd, work / f"callee-{i}-{n}.log")
                    with lock:
                        callee_pids.add(proc.pid)
                    try:
                        rep = finish_callee(proc, report, timeout=300)
                    except RuntimeError as exc:
                        print(f"    slot {i}: {exc}", flush=True)
                        rep = {"turns": []}
                        with lock:
                            failed_calls += 1
                        time.sleep(2.0)
                    with lock:
                        callee_pids.discard(proc.pid)
                        lat = [t["reply_latency_ms"] for t in rep["turns"] if t.get("reply_latency_ms") is not None]
                        callee_ms.extend(lat)
                        said += len(rep["turns"])
                        answered += len(lat)
                        calls_done += 1
                    n += 1

            threads = [threading.Thread(target=slot, args=(i,), daemon=True) for i in range(calls)]
            for i, t in enumerate(threads):
                t.start()
                time.sleep(0.3)  # don't start every call in the same 20 ms
            for t in threads:
                t.join()
            usage = sampler.stop()
            finished = bot.wait_events("call_finished", calls_done, mark, timeout=60)
            turns_by_call: dict[str, list[str]] = {}
            asr_ms = []
            for rec in bot.events("user_turn", mark):
                turns_by_call.setdefault(rec.get("call_id", ""), []).append(rec.get("text", ""))
                asr_ms.append(rec["asr_ms"])
            for texts in turns_by_call.values():
                e, w = word_errors(" ".join(TURNS), " ".join(texts))
                wer_errors, wer_words = wer_errors + e, wer_words + w
            media = [r.get("media", {}) for r in finished]
    finally:
        if service is not None:
            service.stop()
    stats = {k: v for k, v in (service.last_stats if service else {}).items()
             if k in ("windows", "utterances", "packed_windows", "split_failures", "superseded", "cancelled", "errors")}
    return {
        "calls": calls,
        "bot_processes": bots,
        "duration_s": duration_s,
        "conversations": calls_done,
        "callee_simulators_failed": failed_calls,  # a phone that could not start or report: not the bot's fault
        "turns_said": said,
        "turns_answered": answered,
        "callee_heard_ms": {"p50": pct(callee_ms, 0.5), "p95": pct(callee_ms, 0.95), "max": max(callee_ms, default=None)},
        "asr_ms": {"p50": pct(asr_ms, 0.5), "p95": pct(asr_ms, 0.95)},
        "wer": round(wer_errors / wer_words, 4) if wer_words else None,
        "wer_words": wer_words,
        "playout_underruns": sum(m.get("playout_underruns", 0) for m in media),
        "late_clock_ticks": sum(m.get("late_ticks", 0) for m in media),
        "max_clock_gap_ms": max((m.get("max_tick_gap_ms", 0) for m in media), default=None),
        **usage,
        "asr_service": stats or None,
    }


def table(results: dict) -> str:
    rows = ["| configuration | calls | p50 ms | p95 ms | max ms | answered | WER | underruns | bot CPU % of a core "
            "| bot RSS MB | machine busy % | load avg |", "|" + "---|" * 12]
    points = [(p["calls"], name, p) for name, c in results["configs"].items() for p in c["points"]]
    for calls, name, p in sorted(points, key=lambda x: (x[0], x[1])):
        h = p["callee_heard_ms"]
        rows.append(f"| {name} | {calls} | {h['p50']} | {h['p95']} | {h['max']} | {p['turns_answered']}/{p['turns_said']} "
                    f"| {p['wer']} | {p['playout_underruns']} | {p['bot_cpu_pct_of_one_core']} | {p['bot_rss_mb_peak']} "
                    f"| {p['machine_busy_pct']} | {p['load_average_1min_at_end']} |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", nargs="+", default=["per-process", "service"], choices=sorted(CONFIGS))
    ap.add_argument("--calls", type=int, nargs="+", default=[1, 4, 8, 12, 16, 24])
    ap.add_argument("--duration", type=float, default=600.0, help="seconds per point (the issue asks for 600)")
    ap.add_argument("--note", default="", help="stored with the results, e.g. what else loaded the machine")
    ap.add_argument("--table", action="store_true", help="print the stored results as a Markdown table and stop")
    args = ap.parse_args()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "capacity.json"
    if args.table:
        print(table(json.loads(path.read_text())))
        return 0
    results = json.loads(path.read_text()) if path.exists() else {"configs": {}}
    # Levels outer, configurations inner: on a shared machine the load drifts, and configurations
    # compared at one level should have seen the same load.
    for calls in args.calls:
        for config in args.configs:
            print(f"{config}: {calls} concurrent calls for {args.duration:.0f} s", flush=True)
            point = run_point(config, calls, args.duration, CONFIGS[config])
            point["when"] = time.strftime("%Y-%m-%d %H:%M:%S")
            point["note"] = args.note
            point["measured_under_load"] = point["machine_busy_pct"] > 90 or point["load_average_1min_at_end"] > 4
            entry = results["configs"].setdefault(config, {"env": CONFIGS[config], "points": []})
            entry["points"] = sorted([p for p in entry["points"] if p["calls"] != calls] + [point],
                                     key=lambda p: p["calls"])
            results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
            path.write_text(json.dumps(results, indent=2))
            h = point["callee_heard_ms"]
            print(f"  p50 {h['p50']} ms, p95 {h['p95']} ms, max {h['max']} ms; answered {point['turns_answered']}/"
                  f"{point['turns_said']}; WER {point['wer']}; underruns {point['playout_underruns']}; bot CPU "
                  f"{point['bot_cpu_pct_of_one_core']} %, RSS {point['bot_rss_mb_peak']} MB; machine busy "
                  f"{point['machine_busy_pct']} %", flush=True)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
