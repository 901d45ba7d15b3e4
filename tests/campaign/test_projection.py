"""The projection is measured, not extrapolated from a handful of calls (#21 item 5): the machine's
capacity.json and the campaign's own rate (only from 50 calls on) are both shown with their n."""

from __future__ import annotations

import json
import re
import threading

from campaign_data import write_customers

from voicebot.campaign.campaign import Campaign
from voicebot.campaign.capacity import MIN_CAMPAIGN_CALLS, load_capacity, project
from voicebot.campaign.importer import import_customers
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.report import write_report
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.throughput import Throughput
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig


def test_capacity_file_gives_channels_per_machine_within_the_reply_budget(tmp_path):
    path = tmp_path / "capacity.json"
    def point(calls: int, done: int, p95: float) -> dict:
        return {"calls": calls, "conversations": done, "duration_s": 90.0, "callee_heard_ms": {"p95": p95},
                "machine_cores": 2}

    path.write_text(json.dumps({"machine": {"cpus": 2}, "configs": {"a": {"points": [
        point(4, 9, 3000), point(8, 16, 3400), point(12, 25, 5600),
        {**point(10, 30, 900), "measured_under_load": True}]}}}), encoding="utf-8")
    cap = load_capacity(path)
    assert cap.channels_per_machine == 8 and cap.conversations == 16 and cap.calls_per_channel_hour == 80.0
    assert load_capacity(tmp_path / "missing.json") is None
    assert load_capacity()  # the repository's own measurement is readable


def test_a_few_calls_never_drive_the_projection():
    tp = Throughput(calls_per_channel_hour=65.7, calling_hours_per_day=11, target_per_day=5000, configured_channels=8)
    few = project(tp, 3, load_capacity())
    assert few.rate_source == "benchmark" and few.campaign_rate is None and few.channels <= 8
    enough = project(tp, MIN_CAMPAIGN_CALLS, None)
    assert enough.rate_source == "campaign" and enough.rate == 65.7 and enough.channels == 8


class MinuteAndAHalfCalls(SimulatedDialer):
    def dial(self, job):
        result = super().dial(job)
        self.clock.advance(90.0)  # a channel is held for the call
        return result


def _run(redis_client, tmp_path, clock, name: str, n: int) -> None:
    camp = Campaign(redis_client, name)
    camp.create(locale="zh-CN")
    import_customers(redis_client, write_customers(tmp_path / f"{name}.csv", ["price_sensitive"] * n),
                     ColumnMapping.identity(), campaign=name)
    cfg = CampaignConfig(max_attempts=1)
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    CampaignWorker(redis_client, name, MinuteAndAHalfCalls(clock), cfg, clock, worker_id="w").run(
        threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)


def test_report_shows_both_sources_and_n(redis_client, tmp_path, clock):
    _run(redis_client, tmp_path, clock, "three", 3)
    text = re.sub(r"<[^>]+>", " ", write_report(redis_client, "three", tmp_path / "r3", CampaignConfig())
                  .html.read_text(encoding="utf-8"))
    # n comes from the repository's own measurement, which is re-measured from time to time
    assert "本机实测（capacity.json" in text and f"n = {load_capacity().conversations} 通对话" in text
    assert "本活动仅外呼 3 通，不足 50 通" in text and "按本机实测测算" in text
    _run(redis_client, tmp_path, clock, "sixty", 60)
    text = re.sub(r"<[^>]+>", " ", write_report(redis_client, "sixty", tmp_path / "r60", CampaignConfig())
                  .html.read_text(encoding="utf-8"))
    assert "本活动实测（n = 60 通）" in text and "按本活动实测测算" in text


def test_calls_csv_offer_is_the_one_the_call_used():
    from voicebot.campaign.dialer import CallResult

    result = CallResult.from_outcome({"answered_by": "human", "offer": "none", "offers": ["coupon_50"]})
    assert result.offer == "coupon_50"
    assert CallResult.from_outcome({"answered_by": "human", "offer": "member_points"}).offer == "member_points"
