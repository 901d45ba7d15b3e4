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

Configurations: ``default`` (as installed: a group of processes starts its own recognition
service), ``per-process`` (every bot process loads Whisper), ``service`` (a service started by the
benchmark, packing), ``service-batch``, ``service-nopack``, and ``-tiny.en``
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from voicebot.ops.capacity_probe import run_point as probe_point  # noqa: E402

RESULTS = Path(__file__).parent / "results"
CONFIGS: dict[str, dict[str, str]] = {
    # What a fresh install runs: `serve --workers N` starts its own recognition service (asr.service "auto").
    "default": {},
    "per-process": {"VOICEBOT_ASR__SERVICE": "off"},
    "service": {"VOICEBOT_ASR__SERVICE_PACKING": "pack"},
    "service-batch": {"VOICEBOT_ASR__SERVICE_PACKING": "batch"},
    "service-nopack": {"VOICEBOT_ASR__SERVICE_PACKING": "off"},
    # libgomp's threads spin at every barrier; four processes x 2 threads on 2 cores spin against each other.
    # One decode thread per process in a group of four (2 cores): measured once, no gain (p95 1,640 ms both).
    "per-process-1thread": {"VOICEBOT_ASR__SERVICE": "off", "VOICEBOT_ASR__CPU_THREADS": "1"},
    # Speculative recognition while up to two recognitions run in the process (the default before
    # 2026-12-07 late evening; now 1: only when the process's recogniser is idle).
    "per-process-spec2": {"VOICEBOT_ASR__SERVICE": "off", "VOICEBOT_TURN__SPECULATION_MAX_IN_FLIGHT": "2"},
    "per-process-omp-passive": {"VOICEBOT_ASR__SERVICE": "off", "OMP_WAIT_POLICY": "PASSIVE"},
    "per-process-tiny.en": {"VOICEBOT_ASR__SERVICE": "off", "VOICEBOT_ASR__WHISPER_MODEL": "tiny.en"},
    "service-tiny.en": {"VOICEBOT_ASR__SERVICE_PACKING": "pack", "VOICEBOT_ASR__WHISPER_MODEL": "tiny.en"},
}


def run_point(config: str, calls: int, duration_s: float, env: dict[str, str]) -> dict:
    """One point (voicebot/ops/capacity_probe.py), with a recognition service for the service configs."""
    env = dict(env)
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
    try:
        point = probe_point(calls, duration_s, env, asr_service=service)
    finally:
        if service is not None:
            service.stop()
    stats = {k: v for k, v in (service.last_stats if service else {}).items()
             if k in ("windows", "utterances", "packed_windows", "split_failures", "superseded", "cancelled", "errors")}
    return {**point, "asr_service": stats or None}


FOREIGN_CPU_LIMIT_PCT = 25.0  # of one core: more than the rig's noise means something else ran


def foreign_cpu_pct(point: dict) -> float:
    """CPU (percent of one core) used by neither the bot nor the callee simulators: other work on the
    machine. The point's own load (16 calls push the load average over 4) is not foreign."""
    return (point["machine_busy_pct"] * point["machine_cores"] - point["bot_cpu_pct_of_one_core"]
            - point["callee_simulators_cpu_pct_of_one_core"])


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
    ap.add_argument("--configs", nargs="+", default=["default", "per-process"], choices=sorted(CONFIGS))
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
            point["foreign_cpu_pct_of_one_core"] = round(foreign_cpu_pct(point), 1)
            point["measured_under_load"] = point["foreign_cpu_pct_of_one_core"] > FOREIGN_CPU_LIMIT_PCT
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
