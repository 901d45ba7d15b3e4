"""``voicebot capacity rate`` (measure this machine, store its rated channel count) and ``show``."""

from __future__ import annotations

import argparse
import os
import sys
import time

from voicebot.capacity_rating import REPLY_P95_BUDGET_MS, CapacityRating, asr_setup, rated_channels, read_rating, save_rating
from voicebot.config import Settings

LEVELS = [1, 2, 4, 8, 12, 16]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("capacity", help="measure how many calls this machine carries, and show the rating")
    csub = p.add_subparsers(dest="capacity_command", required=True)
    r = csub.add_parser("rate", help="call the bot with simulated callees at rising load (a few minutes; "
                                     "run it on an otherwise idle machine) and store the rated channel count")
    r.add_argument("--calls", type=int, nargs="+", default=LEVELS, metavar="N", help="loads to try, in order")
    r.add_argument("--seconds", type=float, default=60.0, help="seconds per load (default 60)")
    r.add_argument("--budget-ms", type=int, default=REPLY_P95_BUDGET_MS,
                   help="the callee's reply wait at p95 that a rated load must stay within (default 1200)")
    r.set_defaults(func=cmd_rate)
    s = csub.add_parser("show", help="print the stored rating, or why there is none")
    s.set_defaults(func=cmd_show)


def cmd_rate(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.ops.capacity_probe import load_point, run_point

    load = os.getloadavg()[0]
    if load > 1.0:
        print(f"note: the machine is busy (load average {load:.1f}); the rating will be lower than its true "
              f"capacity. Rate it with nothing else running.", file=sys.stderr)
    points = []
    for calls in sorted(set(args.calls)):
        print(f"{calls} simultaneous calls for {args.seconds:g} s ...", flush=True)
        raw = run_point(calls, args.seconds)
        point = load_point(raw)
        points.append(point)
        print(f"  reply wait p50 {point.p50_ms} ms, p95 {point.p95_ms} ms; turns answered "
              f"{point.turns_answered}/{point.turns_said}; conversations {point.conversations}; "
              f"bot CPU {raw['bot_cpu_pct_of_one_core']} % of a core, callees {raw['callee_simulators_cpu_pct_of_one_core']} %",
              flush=True)
        if rated_channels(points, args.budget_ms) < calls:
            break  # the first load over budget ends the climb: larger ones only take longer to fail
    rating = CapacityRating(rated_channels(points, args.budget_ms), args.budget_ms, time.strftime("%Y-%m-%d %H:%M:%S"),
                            os.cpu_count() or 0, asr_setup(settings), points)
    path = save_rating(settings, rating)
    print(f"rated: {rating.channels} simultaneous calls within p95 {args.budget_ms} ms (stored in {path})")
    return 0 if rating.channels else 1


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    rating, why = read_rating(settings)
    if rating is None:
        print(why)
        return 1
    print(f"rated: {rating.channels} simultaneous calls within p95 {rating.budget_ms} ms "
          f"(measured {rating.measured_at}, {rating.cpu_count} cores, {rating.recogniser})")
    for p in rating.points:
        print(f"  {p.calls:>3} calls: p50 {p.p50_ms} ms, p95 {p.p95_ms} ms, answered {p.turns_answered}/{p.turns_said}")
    return 0
