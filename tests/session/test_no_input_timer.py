"""The no-input timer the session sleeps on: when it falls due, and when it cannot."""

from __future__ import annotations

import time

from voicebot.session.no_input import NoInputTimer


def test_due_after_the_silence_that_follows_the_bot_and_never_while_held():
    timer = NoInputTimer(8.0)
    timer.restart()
    started = timer.last_activity
    assert timer.due_at(bot_speaking=False, last_spoken_at=0.0, held=False) == started + 8.0
    # The bot finished a line later than that: the silence counts from its end.
    assert timer.due_at(False, last_spoken_at=started + 3.0, held=False) == started + 11.0
    assert timer.due_at(True, 0.0, False) is None  # the clock starts when the bot stops talking
    assert timer.due_at(False, 0.0, held=True) is None  # the callee speaks, a reply or transfer is on its way


def test_check_says_no_input_once_then_starts_over():
    timer = NoInputTimer(0.0)
    assert not timer.check(bot_speaking=True, last_spoken_at=0.0, held=False)
    assert not timer.check(False, 0.0, held=True)
    assert timer.check(False, 0.0, held=False)
    assert abs(timer.last_activity - time.time()) < 5.0  # restarted from now, not from the old silence
