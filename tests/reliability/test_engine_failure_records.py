"""Issue #20 item 7: faults must end in a correct record. An engine failure (the emergency plan took
over) is stored as ``engine_failure``, never as a lead; the fallback's callback is never booked for
a customer who had already refused. Real redis-server and the real worker; the dialer hands back
the outcome dict a CallSession writes in each case."""

from __future__ import annotations

from datetime import datetime

import pytest

from voicebot.campaign.clock import FakeClock
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.queue import JobQueue
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig

SHANGHAI_11 = 1772506800.0  # 2026-03-03 11:00 Asia/Shanghai
TTS_FAILED = {"engine": "tts", "failure": "error", "detail": "fault drill: tts fails on purpose"}
ASR_TIMEOUT = {"engine": "asr", "failure": "timeout", "detail": "no transcript within 15 s"}


class SessionOutcome:
    """A dialer whose call ended with the given CallSession outcome."""

    def __init__(self, outcome: dict) -> None:
        self.outcome = outcome

    def dial(self, job: CallJob) -> CallResult:
        return CallResult.from_outcome(self.outcome, call_id="call-1")


def _run(redis_client, outcome: dict) -> tuple[dict, list]:
    cfg = CampaignConfig(freq_cap_calls=0)
    clock = FakeClock(datetime.fromtimestamp(SHANGHAI_11).astimezone())
    worker = CampaignWorker(redis_client, "faults", SessionOutcome(outcome), cfg, clock, worker_id="w")
    job = CallJob("faults", "c1:1", "c1", "+8613800138000", 1, timezone="Asia/Shanghai", customer={})
    JobQueue(redis_client, worker.ck).schedule(job, SHANGHAI_11 - 1)
    assert worker.step() == "dialed"
    return redis_client.hgetall(worker.ck.state("c1")), redis_client.zrange(worker.ck.scheduled, 0, -1)


def test_a_tts_failure_with_an_agent_set_is_not_a_lead(redis_client):
    """The repro: fault_drill.tts=raise, agent set: 0 turns, transferred, stored as `interested`."""
    state, scheduled = _run(redis_client, {"answered_by": "human", "turns": 0, "engine_failure": TTS_FAILED,
                                           "transfer": {"ok": True, "reason": "engine failure: tts"},
                                           "hung_up_by": "bot", "tags": []})
    assert state["status"] == "engine_failure" and state["final"] == "1"
    assert scheduled == []


@pytest.mark.parametrize("refusal", [{"intent_grade": "D"}, {"tags": ["not_interested"]}])
def test_the_fallback_never_books_a_callback_for_a_customer_who_refused(redis_client, refusal):
    outcome = {"answered_by": "human", "turns": 3, "engine_failure": ASR_TIMEOUT, "tags": [],
               "callbacks": [{"at": None, "delay_s": 3600, "note": "engine failure: asr"}], **refusal}
    state, scheduled = _run(redis_client, outcome)
    assert state["status"] == "not_interested" and state["final"] == "1"
    assert scheduled == [] and "callbacks" not in state


def test_an_undecided_customer_gets_the_fallback_callback_recorded_as_engine_failure(redis_client):
    outcome = {"answered_by": "human", "turns": 2, "engine_failure": ASR_TIMEOUT, "intent_grade": "B", "tags": [],
               "callbacks": [{"at": None, "delay_s": 3600, "note": "engine failure: asr"}]}
    state, scheduled = _run(redis_client, outcome)
    assert state["status"] == "engine_failure" and state.get("final") != "1"
    assert len(scheduled) == 1 and state["callbacks"] == "1"
