"""Issue #20 item 3: an opt-out is written the moment the customer makes it, not at call end.

The repro: a worker was killed right after the customer said 「以后别给我打电话了」; the number was
dialled again 129 s later and the interrupted call did not count toward the cap. Here the real zh
dialplan hears the sentence, the call's OptOutWatch (what CallSession runs every step) writes the
do-not-call entry to a real Redis at once, the worker "dies" (its job is reclaimed by another
worker) and the number is never dialled again; the interrupted attempt counts in the cap."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from voicebot.campaign import keys
from voicebot.campaign.clock import FakeClock
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.optout import OptOutWatch, dialogue_tags, opt_out_reason
from voicebot.campaign.queue import JobQueue
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig, Settings
from voicebot.dialogue.base import CallInfo, UserTurn

PHONE = "+8613800138000"
SHANGHAI_11 = 1772506800.0  # 2026-03-03 11:00 Asia/Shanghai


def _dialogue(phone_uri: str):
    from voicebot.dialogue.factory import PlanDialogueFactory

    settings = Settings()
    settings.dialogue.plan = str(Path(__file__).parents[2] / "dialplans/outbound_marketing_zh.yaml")
    info = CallInfo("call-1", "outbound", phone_uri, "zh-CN", {"name": "王先生"})
    dialogue = PlanDialogueFactory(settings).new_dialogue(info)
    dialogue.start(info)
    return dialogue, info


def _say(dialogue, text: str, t: float) -> list:
    return list(dialogue.on_user_turn(UserTurn(text, 0.95, t, t + 1.5)))


def test_the_do_not_call_entry_is_written_when_the_customer_asks_not_at_call_end(redis_client):
    dialogue, info = _dialogue(f"SIP:%2B86{PHONE[3:]}@pbx")  # any spelling: the watch uses the canonical number
    watch = OptOutWatch(lambda: redis_client, info)
    assert watch.number == PHONE
    assert not watch.check(dialogue_tags(dialogue, []))
    _say(dialogue, "以后别给我打电话了", 3.0)
    tags = dialogue_tags(dialogue, [])
    if opt_out_reason(tags) is None:  # the plan may ask back first (confirm:); the customer says yes
        _say(dialogue, "对", 6.0)
        tags = dialogue_tags(dialogue, [])
    assert opt_out_reason(tags) == "stop_calling", tags
    assert watch.check(tags)  # the call is still going on: no outcome, no worker record yet
    dnc = DoNotCallList(redis_client)
    assert dnc.contains(PHONE)
    entry = dnc.entries()[0]
    assert (entry.reason, entry.by, entry.call_id) == ("stop_calling", "call:call-1", "call-1")
    # Idempotent: checked again every step, and written again by the worker at call end: one entry, one audit.
    for _ in range(5):
        watch.check(tags)
    assert dnc.add(PHONE, "stop_calling", by="call:gate/c1:1", call_id="call-1") is False
    assert [e.action for e in dnc.audit(PHONE)] == ["add"]
    # A complaint later in the same call is stronger: it updates the entry (one more audit event).
    assert watch.check([*tags, "complaint"])
    assert dnc.entries()[0].reason == "complaint" and len(dnc.audit(PHONE)) == 2
    watch.check([*tags, "complaint"])
    assert len(dnc.audit(PHONE)) == 2


def test_a_worker_killed_after_the_opt_out_never_lets_the_number_be_dialled_again(redis_client):
    cfg = CampaignConfig(max_attempts=3, visibility_timeout_s=0.5, max_calls_per_day=2, freq_cap_calls=0)
    clock = FakeClock(datetime.fromtimestamp(SHANGHAI_11).astimezone())
    dying = CampaignWorker(redis_client, "optout", SimulatedDialer(clock), cfg, clock, worker_id="dies")
    job = CallJob("optout", "c1:1", "c1", PHONE, 1, timezone="Asia/Shanghai", customer={"persona": "interested"})
    JobQueue(redis_client, dying.ck).schedule(job, SHANGHAI_11 - 1)
    dialled: list[str] = []

    class KilledMidCall:
        """The customer opts out during the call, then the worker process is SIGKILLed."""

        def dial(self, job: CallJob) -> CallResult:
            dialled.append(job.phone)
            info = CallInfo("call-9", "outbound", f"sip:{job.phone}@pbx", "zh-CN", {"phone": job.phone})
            OptOutWatch(lambda: redis_client, info).check(["stop_calling"])
            raise SystemExit("killed")  # nothing after this line runs: no outcome is recorded

    dying.dialer = KilledMidCall()
    try:
        dying.step()
    except SystemExit:
        pass
    assert dialled == [PHONE] and DoNotCallList(redis_client).contains(PHONE)
    redis_client.delete(keys.worker_alive("dies"))  # the dead worker's liveness key lapses
    time.sleep(cfg.visibility_timeout_s + 0.2)
    survivor = CampaignWorker(redis_client, "optout", SimulatedDialer(clock), cfg, clock, worker_id="lives")
    survivor.run_until_idle()  # reclaims the dead worker's attempt: interrupted, a retry is scheduled
    assert survivor.stats.interrupted == 1
    clock.advance(3 * 3600)  # past the retry back-off
    survivor.run_until_idle()
    assert survivor.stats.dialed == 0 and survivor.stats.dropped == 1
    state = redis_client.hgetall(survivor.ck.state("c1"))
    assert state.get("status") == "do_not_call" and state.get("final") == "1", state
    assert dialled == [PHONE]  # never dialled again
    # The interrupted attempt counts toward the cap: nobody knows whether the customer answered.
    assert redis_client.zcard(keys.number_calls(PHONE)) == 1
    results = [json.loads(f["json"]) for _, f in redis_client.xrange(survivor.ck.results)]
    assert [r["result"]["error"] for r in results] == ["worker died during the call"]
