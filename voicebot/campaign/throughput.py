"""Calls per day, and what it takes to reach the seed's 5,000 a day, from measured throughput.

Per channel (one worker = one simultaneous call) and day: calls / hours between its first call's
start and last call's end that day, which includes ringing, pacing waits and idle time, so it is what a channel
really delivers. Projection: channels needed = target / (calls per channel-hour x calling hours
a day); and today's configured channels x that rate.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass
class Throughput:
    calls_by_day: dict[str, int] = field(default_factory=dict)
    calls_per_day: float = 0.0  # mean over days with calls
    busiest_day: int = 0
    channels_measured: int = 0
    calls_per_channel_hour: float | None = None
    seconds_per_call: float | None = None  # mean time a channel is held per attempt
    calling_hours_per_day: float = 0.0
    target_per_day: int = 5000
    channels_for_target: int | None = None
    configured_channels: int = 0
    projected_per_day: float | None = None  # configured channels at the measured rate


def measure(results: list[dict[str, Any]], tz: str, calling_hours_per_day: float, target: int,
            configured_channels: int) -> Throughput:
    t = Throughput(calling_hours_per_day=calling_hours_per_day, target_per_day=target,
                   configured_channels=configured_channels)
    if not results:
        return t
    zone = ZoneInfo(tz)
    days = Counter(datetime.fromtimestamp(r["started"], zone).date().isoformat() for r in results)
    t.calls_by_day = dict(sorted(days.items()))
    t.calls_per_day = sum(days.values()) / len(days)
    t.busiest_day = max(days.values())
    # Per channel and day, so nights and pauses between days do not count as channel time.
    by_worker_day: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_worker_day[(r.get("worker", ""), datetime.fromtimestamp(r["started"], zone).date().isoformat())].append(r)
    calls = hours = 0.0
    for rows in by_worker_day.values():
        span_h = (max(r["ended"] for r in rows) - min(r["started"] for r in rows)) / 3600
        if span_h > 0 and len(rows) > 1:
            calls, hours = calls + len(rows), hours + span_h
    rates = [calls / hours] if hours > 0 else []
    t.channels_measured = len({w for w, _d in by_worker_day})
    held = [r["ended"] - r["started"] for r in results if r["ended"] > r["started"]]
    t.seconds_per_call = sum(held) / len(held) if held else None
    if rates:
        t.calls_per_channel_hour = sum(rates) / len(rates)
        per_channel_day = t.calls_per_channel_hour * calling_hours_per_day
        if per_channel_day > 0:
            t.channels_for_target = math.ceil(target / per_channel_day)
            t.projected_per_day = per_channel_day * configured_channels
    return t
