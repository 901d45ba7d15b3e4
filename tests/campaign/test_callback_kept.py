"""Callbacks promised are callbacks made (#21 item 2), through the real zh dialplan, the campaign
worker and a real redis-server: hours changed with `campaign hours` are what the bot says and
what the campaign dials, and once max_callbacks is used up the bot promises nothing."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from campaign_data import SHANGHAI, write_customers

from voicebot.campaign.campaign import Campaign
from voicebot.campaign.dialer import CallJob
from voicebot.campaign.hours import set_hours
from voicebot.campaign.importer import import_customers
from voicebot.campaign.kpi import load_results
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.text_dialer import DialogueDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import Settings
from voicebot.dialogue.factory import PlanDialogueFactory

ZH_PLAN = Path(__file__).resolve().parents[2] / "dialplans/outbound_marketing_zh.yaml"


def late_evening_customer(job: CallJob, lines: list[str]) -> str | None:
    """Says 晚上十点再打给我吧 on every call."""
    if any("请问是" in line for line in lines):
        return "对，是我"
    return "晚上十点再打给我吧"


def test_changed_hours_and_max_callbacks_are_kept(redis_client, tmp_path, clock, cfg):
    cfg = cfg.model_copy(update={"max_callbacks": 2})
    settings = Settings()
    settings.dialogue.plan = str(ZH_PLAN)
    camp = Campaign(redis_client, "late")
    camp.create(locale="zh-CN")
    import_customers(redis_client, write_customers(tmp_path / "c.csv", ["callback"]), ColumnMapping.identity(),
                     campaign="late")
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    set_hours(redis_client, camp.ck, "10:00", "19:00")  # after planning: the hours in force at dial time count
    dialer = DialogueDialer(PlanDialogueFactory(settings), late_evening_customer, clock,
                            opt_outs=lambda: redis_client)
    worker = CampaignWorker(redis_client, "late", dialer, cfg, clock, worker_id="w")
    worker.run(threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)

    results = sorted(load_results(redis_client, "late"), key=lambda r: r["attempt"])
    assert [r["next"] for r in results] == ["callback", "callback", "done"]
    for call, following in zip(results, results[1:]):
        booked = datetime.fromtimestamp(call["result"]["callback_at"], SHANGHAI)
        assert (booked.hour, booked.minute) == (10, 0)  # 22:00 is outside 10:00-19:00: the next opening
        assert following["started"] == booked.timestamp()  # called when promised
        assert any("明天上午十点再给您打过来" in line for line in dialer.said[call["job_id"]]), dialer.said
    last = dialer.said[results[-1]["job_id"]]
    assert not any("给您打过来" in line for line in last) and any("随时联系我们" in line for line in last), last


def test_until_done_does_not_wait_for_tomorrows_callbacks(redis_client, tmp_path, clock, cfg):
    """A real clock (not advanced): the first calls are made, tomorrow's callback stays booked, and
    the run ends instead of waiting overnight."""
    from voicebot.campaign.simulated import SimulatedDialer

    camp = Campaign(redis_client, "today")
    camp.create()
    import_customers(redis_client, write_customers(tmp_path / "t.csv", ["callback", "interested"]),
                     ColumnMapping.identity(), campaign="today")
    camp.plan(clock, cfg)
    clock.set(datetime(2026, 3, 3, 14, 0, tzinfo=SHANGHAI).timestamp())  # inside both preferred windows
    camp.seed(clock, cfg)
    clock.advance(1.0)  # a real clock moves on: the first calls are due
    worker = CampaignWorker(redis_client, "today", SimulatedDialer(clock), cfg, clock, worker_id="w")
    done = threading.Event()
    thread = threading.Thread(target=lambda: (worker.run(threading.Event(), poll_s=0.01, exit_when_done=True,
                                                         advance_clock=False), done.set()), daemon=True)
    thread.start()
    done.wait(10)
    assert done.is_set(), (worker.stats, worker.queue.next_due(), clock.now(), redis_client.hgetall(camp.ck.meta))
    thread.join()
    assert worker.stats.dialed == 2 and worker.queue.next_due() is not None  # the callback is still booked
