"""The conversation core over the in-memory transport: real Whisper, real Piper, the real session,
listener and speaker; no SIP, no second process. What only SIP can show stays in tests/voice."""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest

from tests.session.conftest import AGENT
from voicebot.config import FaultDrillConfig
from voicebot.dialogue.base import CallInfo
from voicebot.session.call_session import CallSession
from voicebot.session.engines import Engines
from voicebot.session.events import CallEvent
from voicebot.session.fault_drill import DrillRecognizer
from voicebot.transport.memory import MemoryPhone, MemorySwitch

SPEED = 2.0  # the media clock at twice real time: turn-taking counts frames, not seconds


class Call:
    """One inbound call from a memory phone to a fresh session, with the events it published."""

    def __init__(self, engines: Engines, speed: float = SPEED) -> None:
        self.engines = engines
        # speed 0: no clock thread, the test ticks the line itself (self.call.tick()).
        self.switch = MemorySwitch(engines.settings.media.clock_rate, engines.settings.media.frame_ms, speed)
        self.switch.add_phone(AGENT)
        self.phone: MemoryPhone = self.switch.add_phone("sip:customer@memory")
        self.call = self.switch.incoming(self.phone)
        self.events: list[CallEvent] = []
        engines.sinks.append(self._sink)
        info = CallInfo(self.call.uid, "inbound", self.phone.uri, "en-US")
        self.session = CallSession(self.switch, self.call, engines, info)
        self.session.start()

    def _sink(self, event: CallEvent) -> None:
        if event.call_id == self.call.uid:
            self.events.append(event)

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        return [e.data for e in list(self.events) if e.type == kind]

    def wait(self, what: Callable[[], Any], timeout: float = 30.0) -> Any:
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = what()
            if got:
                return got
            time.sleep(0.02)
        raise AssertionError(f"timed out; events so far: {[(e.type, e.data) for e in self.events]}")

    def bot_quiet(self) -> bool:
        speaker = self.session.speaker
        return speaker is not None and not speaker.speaking and len(self.kinds("bot_turn")) > 0

    def say(self, text: str) -> None:
        self.phone.say(self.engines.renderer.render(text, "en-US"))

    def finish(self, timeout: float = 30.0):
        result = self.session.join(timeout)
        self.engines.sinks.remove(self._sink)
        assert result is not None, "the session did not finish"
        return result


def test_a_question_is_answered_and_goodbye_ends_the_call(engines):
    c = Call(engines)
    c.wait(c.bot_quiet)
    assert c.phone.heard_speech_s() > 1.0  # the greeting reached the phone
    c.say("What are your opening hours?")
    c.wait(lambda: len(c.kinds("bot_turn")) >= 2)
    assert "nine to six" in c.kinds("bot_turn")[1]["text"]
    assert "hours" in c.kinds("user_turn")[0]["text"].lower()
    c.wait(c.bot_quiet)
    c.say("No thank you, goodbye.")
    result = c.finish()
    assert result.outcome["hung_up_by"] == "bot" and c.call.hung_up_by == "bot"
    # End of speech -> first bot audio, measured on the frame clock of this line.
    assert len(result.timings) == 2 and all(t.end_of_speech_to_first_audio_ms > 0 for t in result.timings)
    assert [t["who"] for t in _transcript(result)] == ["bot", "callee", "bot", "callee", "bot"]


def test_callee_speech_over_the_bot_stops_its_playout(engines):
    c = Call(engines)
    c.wait(lambda: c.session.speaker is not None and c.session.speaker.speaking)
    time.sleep(0.3)
    said_at = len(c.phone.heard_frames)  # the clock tick the callee starts talking on
    c.say("Sorry, can I talk to a person please?")
    barge = c.wait(lambda: c.kinds("barge_in"))[0]
    assert barge["frame"] >= said_at  # the callee's speech set it off, not the bot's own greeting
    # The caller's words still count: they asked for a person, the bot transfers (blind REFER).
    c.wait(lambda: c.kinds("transfer"))
    result = c.finish()
    # Counted in ticks of the line's clock, not wall time (how fast is benchmarks/barge_in.py): the
    # phone heard the greeting up to a silent tick after the barge-in, and only part of it.
    heard = c.phone.heard_frames
    stopped_at = next(i for i in range(barge["frame"], len(heard)) if heard[i] is None)
    greeting = _transcript(result)[0]
    assert greeting["who"] == "bot" and greeting["interrupted"] is True
    played_frames = sum(1 for f in heard[:stopped_at] if f is not None)
    assert round((greeting["end"] - greeting["start"]) * 1000 / engines.settings.media.frame_ms) == played_frames
    whole_line_s = len(engines.renderer.render(greeting["text"], "en-US")) / engines.settings.media.clock_rate
    assert played_frames * engines.settings.media.frame_ms / 1000 < whole_line_s
    assert result.outcome["transfer"]["ok"] is True and c.switch.transfers == [(c.call.uid, AGENT)]
    assert c.phone.transferred_to == AGENT and c.call.hung_up_by == "transferred"


def test_a_key_press_reaches_the_dialogue_and_zero_means_a_person(engines):
    c = Call(engines)
    c.wait(c.bot_quiet)
    c.phone.press("5")
    c.wait(lambda: any("pressed 5" in t["text"] for t in c.kinds("bot_turn")))
    c.wait(c.bot_quiet)
    c.phone.press("0")
    c.wait(lambda: c.kinds("transfer"))
    result = c.finish()
    assert result.outcome["dtmf"] == ["5", "0"] and result.outcome["transfer"]["ok"] is True


def test_the_callee_hanging_up_mid_greeting_finishes_the_record(engines):
    c = Call(engines)
    c.wait(lambda: c.phone.heard_speech_s() > 0.5)
    c.phone.hang_up()
    result = c.finish()
    assert result.outcome["hung_up_by"] == "remote" and result.outcome["answered_by"] == "human"
    assert c.kinds("call_ended") and _transcript(result)[0]["interrupted"] is True


def test_a_transfer_to_nobody_ends_with_the_no_agent_line(engines):
    c = Call(engines)
    c.switch.phones.pop(AGENT)  # the agent's number is unreachable: REFER gets a 404
    c.wait(c.bot_quiet)
    c.say("I would like to speak to an agent.")
    result = c.finish(45)
    assert result.outcome["transfer"]["ok"] is False and "404" in result.outcome["transfer"]["detail"]
    assert any("no colleague is free" in t["text"] for t in c.kinds("bot_turn"))
    assert result.outcome["hung_up_by"] == "bot"


def _transcript(result) -> list[dict[str, Any]]:
    import json
    from pathlib import Path

    return [json.loads(line) for line in Path(result.transcript).read_text().splitlines() if line.strip()]


@pytest.fixture
def slow_engines(engines):
    """The same loaded models, with recognition 4.5 s late on every turn (``fault_drill.asr = slow``):
    an overloaded machine, rehearsed."""
    settings = engines.settings.model_copy(deep=True)
    settings.fault_drill = FaultDrillConfig(asr="slow", slow_s=4.5)
    settings.turn.reply_filler_after_s = 2.0  # the product's default (the test rig turns it off)
    engines.renderer.prerender(list(settings.turn.reply_filler_lines.items()))  # as start-up does
    slow = Engines(settings, DrillRecognizer(engines.recognizer, settings.fault_drill), engines.renderer,
                   engines.dialogues, sinks=engines.sinks)
    yield slow
    slow.asr_pool.shutdown(wait=False, cancel_futures=True)
    slow.tts_pool.shutdown(wait=False)


def test_a_late_reply_is_held_with_one_short_line_then_answered(slow_engines):
    c = Call(slow_engines)
    c.wait(c.bot_quiet)
    c.say("What are your opening hours?")
    answer = c.wait(lambda: [t for t in c.kinds("bot_turn") if "nine to six" in t["text"]], timeout=45)
    assert answer
    fillers = c.kinds("reply_filler")
    # Said once for the turn, about two seconds after the callee stopped, not once per loop pass.
    assert len(fillers) == 1 and 2000 <= fillers[0]["waited_ms"] < 4500
    said = [t["text"] for t in c.kinds("bot_turn")]
    assert said.index("Mm-hm, one moment.") == said.index(answer[0]["text"]) - 1
    c.wait(c.bot_quiet)
    c.phone.hang_up()
    result = c.finish()
    # The reply's latency is still measured to the answer, not to the holding line.
    assert [t.end_of_speech_to_first_audio_ms >= 4500 for t in result.timings] == [True]
    assert "Mm-hm, one moment." in [t["text"] for t in _transcript(result) if t["who"] == "bot"]


def test_speculation_is_shed_while_every_recognition_worker_is_taken(slow_engines):
    audio = slow_engines.renderer.render("Hello there.", "en-US")
    slow_engines.settings.turn.speculation_max_in_flight = 2  # the most a process allows (ASR_WORKERS)
    assert not slow_engines.recognition_saturated()
    jobs = [slow_engines.recognise(audio, "en", "c1") for _ in range(2)]
    assert slow_engines.recognition_saturated()
    assert all("hello" in j.result(30).text.lower() for j in jobs)
    assert not slow_engines.recognition_saturated()


def test_speculation_is_shed_earlier_when_the_setting_allows_fewer_recognitions_in_flight(slow_engines):
    audio = slow_engines.renderer.render("Hello there.", "en-US")
    slow_engines.settings.turn.speculation_max_in_flight = 1
    try:
        job = slow_engines.recognise(audio, "en", "c1")
        assert slow_engines.recognition_saturated()  # one running is enough to shed
        assert "hello" in job.result(30).text.lower()
        slow_engines.settings.turn.speculation_max_in_flight = 0
        assert slow_engines.recognition_saturated()  # never speculate
    finally:
        slow_engines.settings.turn.speculation_max_in_flight = 1
