"""The session sleeps on its call's inbox: nothing happening means no wake-up, and each thing that
happens (a frame, a signal, a finished recognition, a due timer) wakes it. Over the memory line with
its clock moved by the test (speed 0), so "nothing happens" is exactly that; real Whisper, Piper and
emotion detector."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tests.session.test_memory_transport import Call
from voicebot.emotion.detector import EmotionDetector
from voicebot.emotion.features import ProsodyFeatures
from voicebot.session.engines import Engines
from voicebot.session.inbox import FRAMES, SIGNAL, CallInbox, timeout_until


def test_frame_wake_ups_are_coalesced_and_other_posts_are_not():
    inbox = CallInbox()
    assert inbox.wait(0.0) == [] and inbox.timeouts == 1
    for _ in range(5):
        inbox.frames_arrived()
    inbox.signal_arrived()
    inbox.signal_arrived()
    assert inbox.wait(None) == [FRAMES, SIGNAL, SIGNAL]
    inbox.frames_arrived()  # after the wait: a new frame posts again
    assert inbox.wait(0.0) == [FRAMES] and inbox.wakes == 2


def test_a_post_from_another_thread_ends_the_wait():
    inbox = CallInbox()
    threading.Timer(0.05, inbox.signal_arrived).start()
    assert inbox.wait(30.0) == [SIGNAL]


def test_the_timeout_is_the_next_deadline_not_one_already_checked():
    now = 1000.0
    assert timeout_until([None, now + 3.0, now + 1.5], checked_at=now, now=now) == 1.5
    assert timeout_until([None], checked_at=now, now=now) is None
    # Due before the checks began: they saw it (and acted, or something only an event lifts held it).
    assert timeout_until([now - 0.5, now + 2.0], checked_at=now, now=now + 0.1) == pytest.approx(1.9)
    # Due while the checks ran: one more pass at once.
    assert timeout_until([now + 0.05], checked_at=now, now=now + 0.1) == 0.0


def _tick_until(c: Call, done, limit: int = 3000) -> int:
    for n in range(limit):
        if done():
            return n
        c.call.tick()
        time.sleep(0.001)  # let the session drain as a real clock would
    raise AssertionError("the line's clock ran out")


def _rendered(c: Call) -> bool:
    """Every line the bot has to say so far is in the playout queue."""
    runner = c.session.runner
    return bool(runner is not None and runner.spoken and runner.actions.empty()
                and all(line.done.is_set() for line in runner.spoken))


def _greeting_played(c: Call) -> None:
    c.wait(lambda: _rendered(c))
    port = c.call.port
    assert port is not None
    _tick_until(c, lambda: not port.tx)
    c.wait(lambda: c.session.speaker is not None and not c.session.speaker.speaking)


def test_the_session_sleeps_while_nothing_happens_and_wakes_for_a_frame_and_a_key(engines: Engines):
    c = Call(engines, speed=0)
    # Answered, the greeting rendered into the playout queue; the clock does not move.
    c.wait(lambda: _rendered(c))
    inbox = c.session.inbox
    seen: list[tuple[int, int]] = []

    def settled() -> bool:  # the speaker's last posts are handled: two looks 0.3 s apart agree
        seen.append((inbox.wakes, inbox.timeouts))
        time.sleep(0.3)
        return seen[-1] == (inbox.wakes, inbox.timeouts)

    c.wait(settled)
    before = (inbox.wakes, inbox.timeouts, c.session.listener.frames)
    time.sleep(1.0)
    assert (inbox.wakes, inbox.timeouts, c.session.listener.frames) == before  # asleep: no pass at all
    c.call.tick()
    c.wait(lambda: c.session.listener.frames == before[2] + 1)  # the frame was drained
    assert inbox.wakes > before[0] and inbox.timeouts == before[1]
    c.phone.press("5")
    c.wait(lambda: c.session.outcome.get("dtmf") == ["5"])
    c.phone.hang_up()
    assert c.finish().outcome["hung_up_by"] == "remote"


def test_a_finished_recognition_wakes_the_session_and_emotion_features_come_from_the_pool(engines: Engines):
    threads: list[str] = []

    class WatchedDetector(EmotionDetector):
        def features(self, pcm: np.ndarray, sample_rate: int) -> ProsodyFeatures:
            threads.append(threading.current_thread().name)
            return super().features(pcm, sample_rate)

    factory, engines.emotion_factory = engines.emotion_factory, WatchedDetector
    try:
        c = Call(engines, speed=0)
        _greeting_played(c)
        c.say("What are your opening hours?")
        listener = c.session.listener
        _tick_until(c, lambda: not c.phone.speaking)
        ended = _tick_until(c, lambda: not listener.callee_speaking
                            and bool(c.session.turns.pending or c.kinds("user_turn")))
        assert ended < 100  # the turn ended in the closing silence, not at the clock's limit
        # The clock stops here: only the recognition's end can wake the session now.
        turn = c.wait(lambda: c.kinds("user_turn"))[0]
        assert "hours" in turn["text"].lower()
        assert threads and all(name.startswith("emotion") for name in threads)
        assert c.wait(lambda: c.kinds("emotion"))[0]["label"] in ("neutral", "positive", "agitated", "withdrawn")
        c.phone.hang_up()
        c.finish()
    finally:
        engines.emotion_factory = factory


def test_the_no_input_timer_wakes_a_session_no_frame_reaches(engines: Engines):
    timeout_s = engines.settings.turn.no_input_timeout_s
    engines.settings.turn.no_input_timeout_s = 0.5
    try:
        c = Call(engines, speed=0)
        _greeting_played(c)
        timeouts = c.session.inbox.timeouts
        c.wait(lambda: c.kinds("no_input"), timeout=10)  # no frame moves: the timer woke it
        assert c.session.inbox.timeouts > timeouts
        c.phone.hang_up()
        c.finish()
    finally:
        engines.settings.turn.no_input_timeout_s = timeout_s
