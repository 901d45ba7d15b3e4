"""An honest projection: calls per channel-hour and channels per machine from measurement only.

Two sources, each shown with its n: ``benchmarks/results/capacity.json`` (load points measured on
this machine: simultaneous calls, conversations completed, the callee's wait for a reply) and the
campaign's own calls, used only once there are ``MIN_CAMPAIGN_CALLS`` of them (3 calls gave
"65.7 calls per channel-hour, 5,783 a day" before). Channels per machine is the most simultaneous
calls at which the callee's p95 wait for a reply stayed within ``P95_BUDGET_MS``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voicebot.campaign.throughput import Throughput
from voicebot.capacity_rating import CapacityRating

CAPACITY_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "capacity.json"
MIN_CAMPAIGN_CALLS = 50
P95_BUDGET_MS = 3500  # a reply later than this reads as a dead line to the callee


@dataclass(frozen=True)
class MeasuredCapacity:
    """The best load point of capacity.json within the reply-time budget."""

    config: str
    channels_per_machine: int
    calls_per_channel_hour: float
    conversations: int  # n behind the rate
    p95_ms: int
    cores: int
    when: str
    source: str = "capacity.json"  # or "voicebot capacity rate": this machine's own rating


@dataclass(frozen=True)
class Projection:
    bench: MeasuredCapacity | None
    campaign_rate: float | None  # calls per channel-hour from the campaign's own calls, once n >= min_n
    campaign_n: int
    min_n: int
    rate: float | None  # the one the projection uses: the campaign's when it has enough calls
    rate_source: Literal["campaign", "benchmark"] | None
    channels: int  # configured channels, capped at what one measured machine carries
    projected_per_day: float | None
    channels_for_target: int | None
    machines_for_target: int | None


def load_capacity(path: Path = CAPACITY_FILE, p95_budget_ms: int = P95_BUDGET_MS) -> MeasuredCapacity | None:
    """None when the file is missing or has no point within the budget (then nothing is projected)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cores = int(data.get("machine", {}).get("cpus", 0))
    best: MeasuredCapacity | None = None
    for name, config in data.get("configs", {}).items():
        for p in config.get("points", []):
            p95 = (p.get("callee_heard_ms") or {}).get("p95")
            calls, done, secs = p.get("calls", 0), p.get("conversations", 0), p.get("duration_s", 0.0)
            if p95 is None or p95 > p95_budget_ms or not calls or not done or not secs:
                continue
            if p.get("measured_under_load"):  # a figure from a shared machine is not this machine's capacity
                continue
            point = MeasuredCapacity(name, int(calls), done / calls / (secs / 3600), int(done), int(p95),
                                     int(p.get("machine_cores", cores)), str(p.get("when", "")))
            if best is None or (point.channels_per_machine, point.conversations) > \
                    (best.channels_per_machine, best.conversations):
                best = point
    return best


def from_rating(rating: CapacityRating | None) -> MeasuredCapacity | None:
    """This machine's rating as the projection's measured source (None when it rated no channel)."""
    rate = rating.calls_per_channel_hour if rating is not None else None
    point = rating.point(rating.channels) if rating is not None else None
    if rating is None or not rating.channels or rate is None or point is None:
        return None
    return MeasuredCapacity("p95 ≤ %d ms" % rating.budget_ms, rating.channels, rate, point.conversations,
                            int(point.p95_ms or 0), rating.cpu_count, rating.measured_at, "voicebot capacity rate")


def project(tp: Throughput, attempts: int, bench: MeasuredCapacity | None,
            min_n: int = MIN_CAMPAIGN_CALLS) -> Projection:
    campaign_rate = tp.calls_per_channel_hour if attempts >= min_n else None
    if campaign_rate:
        rate, source = campaign_rate, "campaign"
    elif bench is not None:
        rate, source = bench.calls_per_channel_hour, "benchmark"
    else:
        rate, source = None, None
    channels = min(tp.configured_channels, bench.channels_per_machine) if bench else tp.configured_channels
    per_channel_day = rate * tp.calling_hours_per_day if rate else 0.0
    need = math.ceil(tp.target_per_day / per_channel_day) if per_channel_day > 0 else None
    machines = math.ceil(need / bench.channels_per_machine) if need and bench else None
    return Projection(bench, campaign_rate, attempts, min_n, rate, source, channels,  # type: ignore[arg-type]
                      per_channel_day * channels if per_channel_day else None, need, machines)
