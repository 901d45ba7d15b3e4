"""Campaign planning and scheduling throughput.

1. Planning 1 M synthetic customers: features, segments, call windows and tags (vectorised),
   plus k-means (fit on a 50 k sample, predict all).
2. Scheduler decisions per second (calling-hours window search + next step after a call).
3. Worker throughput through a real redis-server with the simulated dialer (claims, checks,
   pacing, idempotency key, MULTI record) for a small campaign.

Usage: .venv/bin/python benchmarks/campaign.py [--customers 1000000] [--worker-customers 500]
Writes benchmarks/results/campaign.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.clock import FakeClock
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.plans import plan_arrays
from voicebot.campaign.profiles import N_AFFINITY, CustomerColumns, columns_from_records
from voicebot.campaign.scheduler import CallingRules, next_step
from voicebot.campaign.segments import SEGMENTS, kmeans_clusters
from voicebot.campaign.simulated import PERSONAS, SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig
from voicebot.logs import configure_logging
from voicebot.store.redis_server import PrivateRedis


def synthetic_columns(n: int, seed: int = 0) -> CustomerColumns:
    rng = np.random.default_rng(seed)
    orders = rng.poisson(3, n).astype(np.float64)
    days = np.where(orders > 0, rng.exponential(90, n), np.nan)
    share = rng.dirichlet(np.ones(N_AFFINITY) * 0.3, n)
    hours = np.where(rng.random(n) < 0.6, rng.integers(7, 23, n), np.nan)
    return CustomerColumns(
        days_since_purchase=days, orders_12m=orders, spend_12m=orders * rng.lognormal(6, 1, n),
        discount_share=rng.beta(1.5, 3, n), coupon_uses=rng.poisson(1, n).astype(np.float64),
        channel=rng.integers(-1, 6, n).astype(np.int16), category_share=share, preferred_hour=hours,
        visits_30d=rng.poisson(2, n).astype(np.float64), member=rng.random(n) < 0.4)


def bench_planning(n: int) -> dict:
    t0 = time.perf_counter()
    cols = synthetic_columns(n)
    t1 = time.perf_counter()
    plans = plan_arrays(cols)
    t2 = time.perf_counter()
    clusters, _ = kmeans_clusters(plans.features, 8)
    t3 = time.perf_counter()
    counts = np.bincount(plans.segment, minlength=len(SEGMENTS))
    # The path `voicebot campaign plan` takes: CRM records (dicts, as read from Redis) to columns.
    m = min(n, 100_000)
    records = [{"orders_12m": "3", "spend_12m": "1200", "last_purchase_at": "2026-01-05", "discount_order_share": "0.3",
                "channel": "sms", "categories": ["shoes", "bags"], "preferred_hour": "19", "member": "1"}] * m
    t4 = time.perf_counter()
    columns_from_records(records, datetime(2026, 3, 3).date())
    records_per_s = m / (time.perf_counter() - t4)
    return {"customers": n, "generate_s": round(t1 - t0, 2), "plan_s": round(t2 - t1, 2),
            "kmeans8_s": round(t3 - t2, 2), "total_plan_s": round(t3 - t1, 2),
            "customers_per_s": round(n / (t3 - t1)), "segments": {s: int(c) for s, c in zip(SEGMENTS, counts)},
            "clusters_used": len(np.unique(clusters)),
            "records_to_columns_per_s": round(records_per_s)}


def bench_scheduler(n: int) -> dict:
    cfg = CampaignConfig(holidays=["2026-05-01"])
    rules = CallingRules.from_config(cfg)
    rng = random.Random(0)
    zones = ["Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai", "America/Los_Angeles", "Europe/London"]
    start = datetime(2026, 3, 3, 8, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    outcomes = ["human", "no_answer", "busy", "voicemail", "invalid"]
    jobs = [(start + rng.random() * 7 * 86400, rng.choice(zones), (h, h + 2) if (h := rng.randint(7, 21)) else None,
             rng.choice(outcomes), rng.randint(1, 4)) for _ in range(n)]
    t0 = time.perf_counter()
    for ts, tz, window, outcome, attempt in jobs:
        rules.is_allowed(ts, tz)
        rules.next_allowed(ts, tz, window)
        job = CallJob("b", "x:1", "x", "+8613800000000", attempt, timezone=tz)
        next_step(job, CallResult(outcome, "B" if outcome == "human" else None), ts, rules, cfg, window)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    return {"decisions": n, "seconds": round(elapsed, 2), "decisions_per_s": round(n / elapsed)}


def bench_worker(n: int) -> dict:
    directory = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    server = PrivateRedis(directory)
    client = server.start()
    try:
        clock = FakeClock(datetime(2026, 3, 3, 8, tzinfo=ZoneInfo("Asia/Shanghai")))
        cfg = CampaignConfig(bot_channels=64, human_agents=0)
        rng = random.Random(1)
        records = [{"phone": f"+86139{i:08d}", "persona": rng.choice(PERSONAS + ["ab"] * 4), "orders_12m": str(rng.randint(0, 9)),
                    "spend_12m": str(rng.randint(0, 9000))} for i in range(n)]
        CustomerStore(client).upsert_many(records)
        camp = Campaign(client, "bench")
        camp.create()
        camp.add_members([keys.customer_id(r["phone"]) for r in records])
        camp.plan(clock, cfg)
        camp.seed(clock, cfg)
        worker = CampaignWorker(client, "bench", SimulatedDialer(clock), cfg, clock, worker_id="bench")
        t0 = time.perf_counter()
        worker.run(threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)
        elapsed = time.perf_counter() - t0
        steps = sum(worker.stats.steps.values())
        return {"customers": n, "calls": worker.stats.dialed, "steps": steps, "seconds": round(elapsed, 2),
                "calls_per_s": round(worker.stats.dialed / elapsed, 1), "steps_per_s": round(steps / elapsed, 1),
                "outcomes": dict(Counter(client.hget(camp.ck.state(c), "status") for c in camp.members()))}
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--worker-customers", type=int, default=500)
    args = parser.parse_args()
    configure_logging("WARNING")
    result = {"machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
              "planning": bench_planning(args.customers), "scheduler": bench_scheduler(args.decisions),
              "worker": bench_worker(args.worker_customers)}
    result["planning"]["target_s"] = 60
    out = Path(__file__).parent / "results" / "campaign.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
