"""Issue #20 item 3 on the text dialer: "an opt-out is lost when a worker dies".

The customer says 「以后别给我打电话了」 to the real zh dialplan run by the text dialer
(``DialogueDialer``, what ``campaign simulate`` uses); the worker process dies before it records
the call. The do-not-call entry was already written when the dialogue confirmed the opt-out, so the
reclaimed job is dropped and the number is never dialled again. Idempotent: a call that ends
normally leaves one entry and one audit event. Real redis-server, the real worker and dialplan."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from voicebot.campaign import keys
from voicebot.campaign.clock import FakeClock
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.queue import JobQueue
from voicebot.campaign.text_dialer import DialogueDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig, Settings

PHONE = "+8613800138000"
SHANGHAI_11 = 1772506800.0  # 2026-03-03 11:00 Asia/Shanghai
CFG = CampaignConfig(max_attempts=3, visibility_timeout_s=0.5, max_calls_per_day=2, freq_cap_calls=0)


@pytest.fixture(scope="module")
def zh_dialogues():
    from voicebot.dialogue.factory import PlanDialogueFactory

    settings = Settings()
    settings.dialogue.plan = str(Path(__file__).parents[2] / "dialplans/outbound_marketing_zh.yaml")
    return PlanDialogueFactory(settings)


class OptingOut:
    """The customer answers the greeting, then asks never to be called again (yes, if asked back)."""

    def __init__(self) -> None:
        self.turns = iter(["喂，你好", "以后别给我打电话了", "对"])
        self.dialled: list[str] = []

    def __call__(self, job: CallJob, lines: list[str]) -> str | None:
        if not self.dialled or self.dialled[-1] != job.job_id:
            self.dialled.append(job.job_id)
        return next(self.turns, None)


class KilledBeforeRecording(DialogueDialer):
    """The worker process is SIGKILLed as the call ends: nothing after the dialogue runs."""

    def dial(self, job: CallJob) -> CallResult:
        super().dial(job)
        raise SystemExit("killed")


def campaign(redis_client, dialer: DialogueDialer, worker_id: str) -> CampaignWorker:
    return CampaignWorker(redis_client, "optout", dialer, CFG, dialer.clock, worker_id=worker_id)


def test_a_worker_killed_after_the_opt_out_on_the_text_dialer_never_dials_the_number_again(redis_client,
                                                                                            zh_dialogues):
    clock = FakeClock(datetime.fromtimestamp(SHANGHAI_11).astimezone())
    customer = OptingOut()
    dying = campaign(redis_client, KilledBeforeRecording(zh_dialogues, customer, clock,
                                                          opt_outs=lambda: redis_client), "dies")
    job = CallJob("optout", "c1:1", "c1", PHONE, 1, timezone="Asia/Shanghai", customer={"name": "王先生"})
    JobQueue(redis_client, dying.ck).schedule(job, SHANGHAI_11 - 1)
    with pytest.raises(SystemExit):
        dying.step()
    assert redis_client.hget(dying.ck.state("c1"), "status") is None  # the worker recorded nothing
    dnc = DoNotCallList(redis_client)
    assert dnc.contains(PHONE)
    entry = dnc.entries()[0]
    assert (entry.reason, entry.by) == ("stop_calling", "call:text-c1:1")  # written by the call, not at its end

    redis_client.delete(keys.worker_alive("dies"))  # the dead worker's liveness key lapses
    time.sleep(CFG.visibility_timeout_s + 0.2)
    survivor = campaign(redis_client, DialogueDialer(zh_dialogues, customer, clock, opt_outs=lambda: redis_client),
                        "lives")
    survivor.run_until_idle()  # reclaims the dead worker's attempt: interrupted, a retry is scheduled
    assert survivor.stats.interrupted == 1
    clock.advance(3 * 3600)  # past the retry back-off
    survivor.run_until_idle()
    assert survivor.stats.dialed == 0 and survivor.stats.dropped == 1
    assert redis_client.hget(survivor.ck.state("c1"), "status") == "do_not_call"
    assert customer.dialled == ["c1:1"]  # never dialled again


def test_the_opt_out_is_written_once_when_the_call_ends_normally(redis_client, zh_dialogues):
    clock = FakeClock(datetime.fromtimestamp(SHANGHAI_11).astimezone())
    worker = campaign(redis_client, DialogueDialer(zh_dialogues, OptingOut(), clock, opt_outs=lambda: redis_client),
                      "w")
    job = CallJob("optout", "c1:1", "c1", PHONE, 1, timezone="Asia/Shanghai", customer={"name": "王先生"})
    JobQueue(redis_client, worker.ck).schedule(job, SHANGHAI_11 - 1)
    assert worker.step() == "dialed"  # the worker records the same opt-out again at call end
    dnc = DoNotCallList(redis_client)
    assert [e.action for e in dnc.audit(PHONE)] == ["add"] and len(dnc.entries()) == 1
    assert redis_client.hget(worker.ck.state("c1"), "status") == "do_not_call"


def test_the_control_without_the_watch_the_same_kill_loses_the_opt_out(redis_client, zh_dialogues):
    """What the issue saw: with the entry left to the worker's record at call end (``opt_outs=None``),
    the same death loses it. Shows the first test's kill lands before the worker records."""
    clock = FakeClock(datetime.fromtimestamp(SHANGHAI_11).astimezone())
    dying = campaign(redis_client, KilledBeforeRecording(zh_dialogues, OptingOut(), clock, opt_outs=None), "dies")
    JobQueue(redis_client, dying.ck).schedule(
        CallJob("optout", "c1:1", "c1", PHONE, 1, timezone="Asia/Shanghai", customer={"name": "王先生"}),
        SHANGHAI_11 - 1)
    with pytest.raises(SystemExit):
        dying.step()
    assert not DoNotCallList(redis_client).contains(PHONE)
