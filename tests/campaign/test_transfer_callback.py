"""A warm transfer nobody answers: the callback the bot promises is the one the campaign books and
dials (spoken time == booked time, under changed calling hours, in both languages), and once
max_callbacks is used up the bot promises no call at all. Real dialplans, campaign worker and
redis-server; only the agent's phone is a text dialer that never answers."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
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

PLANS = Path(__file__).resolve().parents[2] / "dialplans"
# locale -> (plan, what the customer says, the promised time as said, a promise, the honest line)
CASES = {
    "zh-CN": ("outbound_marketing_zh.yaml", ["对，是我", "我要转人工"], "明天上午十点", "给您回电", "随时联系我们"),
    "en-US": ("outbound_marketing_en.yaml", ["yes, speaking", "I want to talk to a real person"], "tomorrow at 10 am",
              "call you back", "contact us whenever"),
}


def _wants_a_person(locale: str):
    first, ask = CASES[locale][1]

    def callee(job: CallJob, lines: list[str]) -> str | None:
        if any(w in line for line in lines for w in ("请问是", "Am I speaking", "speaking with")):
            return first
        if any(w in line for line in lines for w in ("回电", "联系我们", "call you back", "contact us")):
            return None
        return ask

    return callee


@pytest.mark.parametrize("locale", sorted(CASES))
def test_failed_transfer_books_the_callback_it_promised(locale, redis_client, tmp_path, clock, cfg):
    plan, _, said_time, promise, honest = CASES[locale]
    cfg = cfg.model_copy(update={"max_callbacks": 1})
    settings = Settings()
    settings.dialogue.plan = str(PLANS / plan)
    settings.dialogue.agent_uri = "sip:agent@pbx.local"
    settings.dialogue.agent_check = "always"  # the agent seems free, so the bot tries the transfer (no SIP ping)
    camp = Campaign(redis_client, f"transfer-{locale}")
    camp.create(locale=locale)
    import_customers(redis_client, write_customers(tmp_path / "c.csv", ["interested"]), ColumnMapping.identity(),
                     campaign=camp.name)
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    # Changed after planning: 10:00-11:30 leaves no room for the plan's two-hour agent callback
    # today, so the promise moves to tomorrow's opening, and the bot must say so.
    set_hours(redis_client, camp.ck, "10:00", "11:30")
    dialer = DialogueDialer(PlanDialogueFactory(settings), _wants_a_person(locale), clock, transfer_answered=False,
                            opt_outs=lambda: redis_client)
    CampaignWorker(redis_client, camp.name, dialer, cfg, clock, worker_id="w").run(
        threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)

    first, second = sorted(load_results(redis_client, camp.name), key=lambda r: r["attempt"])
    assert not first["result"]["transferred"] and first["result"]["transfer_reason"]  # tried, not answered
    booked = datetime.fromtimestamp(first["result"]["callback_at"], SHANGHAI)
    assert (booked.date(), booked.hour, booked.minute) == (datetime(2026, 3, 4).date(), 10, 0)
    closing = dialer.said[first["job_id"]][-1]
    assert said_time in closing and promise in closing, closing  # what was said is what was booked
    assert first["next"] == "callback" and second["started"] == booked.timestamp()  # and dialled then

    # The callback used the campaign's one callback: the transfer fails again, and nothing is promised.
    last = dialer.said[second["job_id"]][-1]
    assert honest in last and promise not in last, last
    assert second["next"] == "done" and not second["result"].get("callback_at")
