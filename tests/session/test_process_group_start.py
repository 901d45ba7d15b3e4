"""A process group's start-up waits on its children's news (a ready line, an exit), not on a clock."""

from __future__ import annotations

import time

from voicebot.session.workers import ProcessGroup, child_specs


def test_start_returns_once_every_child_said_its_ready_line():
    specs = child_specs(2, 7000, 20000, 200)
    group = ProcessGroup(lambda spec: ["--help"], specs, ready_marker="usage: voicebot", restart=False)
    assert group.start(ready_timeout_s=60) is True
    assert group.ready == {0, 1}
    for proc in group.procs.values():
        proc.wait(30)


def test_a_child_that_dies_before_ready_fails_the_start_at_once_not_at_the_timeout():
    specs = child_specs(1, 7000, 20000, 200)
    group = ProcessGroup(lambda spec: ["no-such-command"], specs, restart=False)
    started = time.monotonic()
    assert group.start(ready_timeout_s=120) is False
    assert time.monotonic() - started < 30  # the child's exit ended the wait (it takes ~2 s to import)
    assert group.procs[0].wait(10) == 2
