"""The order the bot carries out a reply's actions in: lines back to back, the hang-up after them.

A record (a tag, a booked callback) is written at once and never holds back the line after it: a
survey question queued behind a tag used to wait until the goodbye line had finished playing, and
the silence between them was long enough for a caller to answer into (the answer was lost).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np

from voicebot.config import load_settings
from voicebot.dialogue.base import CallInfo, HangUp, Say, ScheduleCallback, Tag
from voicebot.session.action_runner import ActionRunner
from voicebot.session.speaker import BotSpeaker
from voicebot.transport.memory import MemoryPort


class Recorder:
    """The call control: what the bot asked of the line."""

    def __init__(self) -> None:
        self.hangups: list[tuple[int, str]] = []

    def hangup(self, call, code: int = 200, reason: str = "bot") -> None:
        self.hangups.append((code, reason))


def runner_on_an_unclocked_line():
    """Nothing drains the port: whatever was said stays queued, so the test sees order, not timing."""
    port = MemoryPort(16000, 20)
    pool = ThreadPoolExecutor(1)
    tone = (np.sin(np.arange(16000) / 5) * 8000).astype(np.int16)  # 1 s of audio per line
    speaker = BotSpeaker(port, lambda text, locale: iter([tone]), "zh-CN", pool, "order")
    control = Recorder()
    info = CallInfo("order", "outbound", "sip:+8613800000000@memory", "zh-CN", {})  # type: ignore[arg-type]
    outcome: dict = {"tags": [], "callbacks": [], "offers": []}
    published: list[tuple[str, dict]] = []
    runner = ActionRunner(speaker, control, SimpleNamespace(uid="order"), SimpleNamespace(settings=load_settings()),
                          info, outcome, lambda kind, **data: published.append((kind, data)), lambda ok, d: [])
    return runner, speaker, port, control, pool


def test_a_tag_between_two_lines_does_not_hold_back_the_second():
    runner, speaker, port, control, pool = runner_on_an_unclocked_line()
    try:
        runner.queue([Say("好的，明天下午再打给您。"), Tag(("callback",)), Say("最后耽误您几秒钟，请您给这次通话打个分。")])
        assert [line.text for line in runner.spoken] == ["好的，明天下午再打给您。", "最后耽误您几秒钟，请您给这次通话打个分。"]
        assert runner.outcome["tags"] == ["callback"]
        for line in runner.spoken:
            assert line.done.wait(10)
        assert len(port.tx) == 2 * 50  # both lines queued for playout, back to back
    finally:
        pool.shutdown(wait=True)


def test_the_hang_up_still_waits_for_the_lines_before_it():
    runner, speaker, port, control, pool = runner_on_an_unclocked_line()
    try:
        runner.queue([Say("再见！"), ScheduleCallback(None, 3600, "later"), Tag(("callback",)), HangUp("callback")])
        assert runner.outcome["callbacks"] and runner.outcome["tags"] == ["callback"]
        runner.spoken[0].done.wait(10)
        runner.run()
        assert control.hangups == [] and speaker.speaking  # the goodbye is still playing
        port.tx.clear()  # played out
        runner.run()
        assert control.hangups == [(200, "bot")] and runner.outcome["hangup_reason"] == "callback"
    finally:
        pool.shutdown(wait=True)
