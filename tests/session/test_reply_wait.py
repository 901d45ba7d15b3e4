"""The holding line's rules, on real futures: once per turn, only when the bot is quiet and the
transcript is overdue, never when switched off."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np

from voicebot.config import load_settings
from voicebot.session.emergency import prompts
from voicebot.session.reply_wait import ReplyWait
from voicebot.session.results import PendingTurn


def _turn(start: int, ended_at: float, done: bool = False) -> PendingTurn:
    fut: Future = Future()
    if done:
        fut.set_result(None)
    return PendingTurn(start, start + 50, ended_at, np.zeros(10, dtype=np.int16), fut)


def _wait(after_s: float = 2.0, locale: str = "zh-CN"):
    settings = load_settings()
    settings.turn.reply_filler_after_s = after_s
    said, events = [], []
    wait = ReplyWait(settings, locale, said.append, lambda kind, **d: events.append((kind, d)))
    return wait, said, events


def test_once_per_overdue_turn_and_only_while_the_bot_is_quiet():
    wait, said, events = _wait()
    turn = _turn(100, ended_at=10.0)
    assert not wait.check(turn, False, now=11.9)  # not yet overdue
    assert not wait.check(turn, True, now=12.5)  # the bot is still talking: it holds the line already
    assert wait.check(turn, False, now=12.5)
    assert not wait.check(turn, False, now=20.0)  # once per turn
    assert wait.check(_turn(300, ended_at=30.0), False, now=32.1)  # the next turn may get its own
    assert said == ["好的，您稍等。"] * 2 and events[0] == ("reply_filler", {"waited_ms": 2500, "text": "好的，您稍等。"})
    assert not wait.check(_turn(500, ended_at=40.0, done=True), False, now=50.0)  # the transcript is there


def test_on_by_default_switched_off_and_stored_at_start_up():
    from voicebot.config import TurnConfig

    assert TurnConfig().reply_filler_after_s == 2.0  # the test session itself runs with it off
    wait, said, _ = _wait(after_s=0)
    assert not wait.check(_turn(1, ended_at=0.0), False, now=100.0) and said == []
    settings = load_settings()
    settings.turn.reply_filler_after_s = 2.0
    assert ("zh-CN", "好的，您稍等。") in prompts(settings) and ("en-US", "Mm-hm, one moment.") in prompts(settings)
    settings.turn.reply_filler_after_s = 0
    assert ("zh-CN", "好的，您稍等。") not in prompts(settings)


def test_the_session_wakes_when_the_holding_line_falls_due_and_not_after_it_was_said():
    wait, _, _ = _wait()
    turn = _turn(100, ended_at=10.0)
    assert wait.due_at(turn) == 12.0 and wait.due_at(None) is None
    assert wait.check(turn, False, now=12.0)
    assert wait.due_at(turn) is None  # said for this turn: no more wake-ups for it
    assert wait.due_at(_turn(300, ended_at=30.0, done=True)) is None  # the transcript is there
    assert _wait(after_s=0)[0].due_at(_turn(1, ended_at=0.0)) is None  # switched off
