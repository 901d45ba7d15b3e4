"""Issue #20 item 7: "a hung engine does not stop the campaign from dialling new customers into it".

With ``fault_drill.tts = raise`` every call ends in the emergency apology. After
``campaign.engine_failures_to_pause`` (3) such calls in a row the worker dials no one else; it
probes its engines every ``engine_probe_interval_s`` and dials again once they answer. The real
worker on a real redis-server, the real CallSession and engines (fault drill on) over the
in-memory transport: only SIP is left out."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from voicebot.campaign.clock import FakeClock
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.queue import JobQueue
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig, load_settings
from voicebot.session.call_session import CallSession
from voicebot.session.engine_probe import probe_engines
from voicebot.session.engines import Engines, load_engines
from voicebot.transport.memory import MemorySwitch

SHANGHAI_11 = 1772506800.0  # 2026-03-03 11:00 Asia/Shanghai
PROBE_EVERY_S = 0.5
HOLD_S = 4.0  # the customer listens this long, then hangs up


class MemoryLineDialer:
    """Campaign calls through the real call session and engines over the in-memory transport: the
    customer's phone answers, listens ``HOLD_S`` and hangs up (unless the bot did first)."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines

    def dial(self, job: CallJob) -> CallResult:
        settings = self.engines.settings
        switch = MemorySwitch(settings.media.clock_rate, settings.media.frame_ms, 2.0)
        phone = switch.add_phone(f"sip:{job.phone}@memory")
        call = switch.make_call(phone.uri)
        session = CallSession(switch, call, self.engines, job.call_info(call.uid, phone.uri))
        session.start()
        result = session.join(HOLD_S)
        if result is None:
            phone.hang_up()
            result = session.join(30)
        assert result is not None, "the call did not end"
        return CallResult.from_outcome(result.outcome, result.call_id)

    def probe_engines(self) -> str | None:
        return probe_engines(self.engines, timeout_s=5.0)


@pytest.fixture(scope="module")
def drilled_engines(tmp_path_factory):
    settings = load_settings()
    settings.paths.recordings_dir = tmp_path_factory.mktemp("recordings")
    settings.recording.enabled = False
    settings.emotion.enabled = False
    settings.fault_drill.tts = "raise"  # every line but the emergency apology fails
    engines = load_engines(settings)
    yield engines
    engines.close()


def test_three_engine_failures_in_a_row_pause_dialling_until_the_engine_answers(redis_client, drilled_engines,
                                                                                 log_events):
    cfg = CampaignConfig(engine_failures_to_pause=3, engine_probe_interval_s=PROBE_EVERY_S, freq_cap_calls=0)
    clock = FakeClock(datetime.fromtimestamp(SHANGHAI_11).astimezone())
    worker = CampaignWorker(redis_client, "drill", MemoryLineDialer(drilled_engines), cfg, clock, worker_id="w1")
    queue = JobQueue(redis_client, worker.ck)
    for i in range(5):
        queue.schedule(CallJob("drill", f"c{i}:1", f"c{i}", f"+86138001380{i:02d}", 1, timezone="Asia/Shanghai",
                               locale=drilled_engines.settings.dialogue.locale), SHANGHAI_11 - 1)

    assert [worker.step() for _ in range(3)] == ["dialed"] * 3
    statuses = [redis_client.hget(worker.ck.state(f"c{i}"), "status") for i in range(3)]
    assert statuses == ["engine_failure"] * 3
    # Paused: no customer is claimed or dialled, however often the worker steps.
    assert worker.step() == "engine_paused"
    time.sleep(PROBE_EVERY_S + 0.1)
    assert worker.step() == "engine_paused"  # probed: the TTS still fails
    assert worker.stats.dialed == 3 and worker.stats.engine_pauses == 1
    assert redis_client.xlen(worker.ck.stream) + redis_client.zcard(worker.ck.scheduled) >= 2  # c3, c4 wait
    assert [e["event"] for e in log_events("engine_dialling_paused", "engine_probe_failed")] == [
        "engine_dialling_paused", "engine_probe_failed"]
    paused = log_events("engine_dialling_paused")[0]
    assert paused["failures_in_row"] == 3 and paused["engine"] == "tts"
    assert "tts" in log_events("engine_probe_failed")[0]["problem"]

    # The TTS is back (the drill's wrapped engine answers again): the next probe resumes dialling.
    drill = drilled_engines.renderer
    drilled_engines.renderer = drill._inner
    try:
        time.sleep(PROBE_EVERY_S + 0.1)
        assert worker.step() == "dialed"
        resumed = log_events("engine_dialling_resumed")
        assert len(resumed) == 1 and resumed[0]["paused_s"] >= PROBE_EVERY_S
        status = redis_client.hget(worker.ck.state("c3"), "status")
        assert status is not None and status != "engine_failure", status  # the greeting was spoken
        assert worker.engine_pause.failures_in_row == 0 and not worker.engine_pause.paused
    finally:
        drilled_engines.renderer = drill


def test_calls_nobody_answered_neither_count_nor_reset():
    """Unit of the counting rule on its own: no-answer calls say nothing about the engines."""
    from voicebot.campaign.engine_pause import EnginePause

    logged: list[str] = []
    log = type("Log", (), {"error": lambda self, e, **k: logged.append(e), "warning": lambda self, e, **k: None,
                           "info": lambda self, e, **k: logged.append(e)})()
    pause = EnginePause(3, 60.0, log)
    failed, unanswered, talked = CallResult("human", engine_failure="asr"), CallResult("no_answer"), CallResult("human")
    probe = lambda: None  # noqa: E731
    for result in (failed, unanswered, failed, talked, failed, failed, unanswered, failed):
        pause.record(result, probe)
    assert pause.paused and pause.failures_in_row == 3 and logged == ["engine_dialling_paused"]
    assert not pause.may_dial(probe)  # the probe waits a full interval after the pause
    pause.last_probe -= 60.0
    assert pause.may_dial(probe) and logged[-1] == "engine_dialling_resumed"
    off = EnginePause(3, 60.0, log)
    for _ in range(5):
        off.record(failed, None)  # a dialer with no engines to probe is never paused
    assert off.may_dial(None) and not off.paused
