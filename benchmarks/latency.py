"""End of callee speech -> first bot audio, and the per-frame media callback cost.

Runs the real bot (``voicebot serve``) and N callee-simulator calls over SIP/RTP on 127.0.0.1,
``--concurrency`` at a time. Latency is measured twice: by the callee (end of its speech to the
first bot audio it hears, in 20 ms clock ticks: what a customer experiences, RTP included) and by
the bot (its own end-of-speech estimate to the first reply frame queued), with the ASR time of
each turn, so the budget can be split. Prints a summary and writes benchmarks/results/latency.json.

    .venv/bin/python benchmarks/latency.py --calls 5 --concurrency 1
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

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from voicebot.callee.harness import BotProcess, callee_command, finish_callee, start_callee  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TURNS = [
    "What are your opening hours?",
    "How much does the basic plan cost?",
    "When do you close on Friday?",
    "And what is the price of the plan again?",
    "Okay, thank you. Goodbye.",
]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(q * (len(s) - 1))))], 1)


def run(calls: int, concurrency: int, env: dict[str, str], label: str) -> dict:
    work = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    persona = work / "persona.yaml"
    persona.write_text(yaml.safe_dump({"name": "bench", "turns": [{"say": t} for t in TURNS]}))
    callee_ms: list[float] = []
    bot_ms: list[float] = []
    asr_ms: list[float] = []
    media: list[dict] = []
    callee_jb: list[float] = []
    # One pjsua2 process holds 4 calls: more at once means a process group, callers spread over its ports.
    bots = -(-concurrency // 4)
    group = ["--workers", str(bots)] if bots > 1 else []
    marker = '"voicebot_pool_ready"' if bots > 1 else '"voicebot_ready"'
    completed = 0
    with BotProcess(5150, 30000, work / "bot", env=env, args=group, ready_marker=marker) as bot:
        done = 0
        round_no = 0
        while done < calls:
            batch = min(concurrency, calls - done)
            mark = bot.mark()
            procs = []
            for i in range(batch):
                port = 5160 + 2 * i
                report = work / f"report-{round_no}-{i}.json"
                uri = f"sip:bot@127.0.0.1:{5150 + i % bots}"
                cmd = callee_command(str(persona), port, 34000 + 100 * i, report, call=uri)
                procs.append((start_callee(cmd, work / f"callee-{round_no}-{i}.log"), report))
            for proc, report in procs:
                rep = finish_callee(proc, report)
                completed += sum(1 for t in rep["turns"] if t.get("reply_latency_ms") is not None) == len(TURNS)
                callee_ms += [t["reply_latency_ms"] for t in rep["turns"] if t.get("reply_latency_ms") is not None]
                callee_jb += [leg["stream"]["jb_avg_delay_ms"] for leg in rep["legs"] if leg.get("stream")]
            for rec in bot.wait_events("call_finished", batch, mark, timeout=60):
                bot_ms += rec.get("latency_ms", [])
                media.append(rec.get("media", {}))
            for rec in bot.events("user_turn", mark):
                asr_ms.append(rec["asr_ms"])
            done += batch
            round_no += 1
            print(f"  {label}: {done}/{calls} calls", flush=True)
    frames = sum(m.get("frames", 0) for m in media)
    return {
        "calls": calls,
        "concurrency": concurrency,
        "bot_processes": bots,
        "calls_with_every_turn_answered": completed,
        "turns_measured": len(callee_ms),
        "callee_heard_ms": {"p50": pct(callee_ms, 0.5), "p95": pct(callee_ms, 0.95), "max": max(callee_ms, default=None)},
        "bot_side_ms": {"p50": pct(bot_ms, 0.5), "p95": pct(bot_ms, 0.95)},
        "asr_ms": {"p50": pct(asr_ms, 0.5), "p95": pct(asr_ms, 0.95)},
        "frame_callback_us": {
            "mean": round(sum(m.get("mean_us", 0) * m.get("frames", 0) for m in media) / frames, 1) if frames else None,
            "p50": max((m.get("p50_us", 0) for m in media), default=None),
            "p99": max((m.get("p99_us", 0) for m in media), default=None),
            "max": max((m.get("max_us", 0) for m in media), default=None),
            "overruns_over_1ms": sum(m.get("overruns", 0) for m in media),
            "frames": frames,
        },
        # The bot's media clock arriving late makes its RTP bursty; the phone's jitter buffer then
        # holds audio longer. Both are part of what the caller hears.
        "media_clock": {"late_ticks": sum(m.get("late_ticks", 0) for m in media),
                        "max_tick_gap_ms": max((m.get("max_tick_gap_ms", 0) for m in media), default=None)},
        "jitter_buffer_ms": {"bot_avg": pct([m.get("jb_avg_delay_ms", 0) for m in media], 0.5),
                             "phone_avg": pct(callee_jb, 0.5)},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1])
    ap.add_argument("--model", default=None, help="asr.whisper_model (default: the setting's default)")
    args = ap.parse_args()
    env = {"VOICEBOT_ASR__WHISPER_MODEL": args.model} if args.model else {}
    from voicebot.config import load_settings

    s = load_settings()
    RESULTS.mkdir(exist_ok=True)
    name = "latency.json" if not args.model else f"latency-{Path(args.model).name}.json"
    previous = json.loads((RESULTS / name).read_text()) if (RESULTS / name).exists() else {}
    results = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {"whisper_model": args.model or s.asr.whisper_model, "end_of_turn_silence_ms": s.turn.end_of_turn_silence_ms,
                     "speculative_asr_after_ms": s.turn.speculative_asr_after_ms, "min_window_s": s.asr.min_window_s},
        "runs": [],
    }
    for c in args.concurrency:
        results["runs"].append(run(max(args.calls, c), c, env, f"concurrency {c}"))
    # Keep earlier runs at other concurrencies: each level is usually measured on its own.
    done = {r["concurrency"] for r in results["runs"]}
    results["runs"] += [r for r in previous.get("runs", []) if r["concurrency"] not in done]
    results["runs"].sort(key=lambda r: r["concurrency"])
    (RESULTS / name).write_text(json.dumps(results, indent=2))
    for r in results["runs"]:
        print(f"concurrency {r['concurrency']}: {r['turns_measured']} turns; end of speech -> first bot audio "
              f"(callee heard) p50 {r['callee_heard_ms']['p50']} ms, p95 {r['callee_heard_ms']['p95']} ms; "
              f"bot side p50 {r['bot_side_ms']['p50']} ms; ASR p50 {r['asr_ms']['p50']} ms; "
              f"frame callback mean {r['frame_callback_us']['mean']} µs, p99 {r['frame_callback_us']['p99']} µs, "
              f"overruns {r['frame_callback_us']['overruns_over_1ms']}")
    print(f"written to {RESULTS / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
