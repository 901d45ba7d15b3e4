"""Released pjsua2 objects and media ports wait in the SIP thread's graveyard until nothing else refers
to them. A finished call's session objects form reference cycles; the graveyard must not wait for the
collector's own schedule, or every call makes a new port and pjmedia's bridge fills."""

from __future__ import annotations

import gc

from voicebot.sip import lifetimes
from voicebot.sip.lifetimes import COLLECT_EVERY_S, OVERDUE_S, PjObjectGraveyard


class Node:
    pass


def test_an_object_held_only_by_a_dead_cycle_is_freed_once_overdue(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(lifetimes.time, "monotonic", lambda: now[0])
    gc.disable()  # the collector must not free the cycle on its own during the test
    try:
        graveyard = PjObjectGraveyard(8000, 20)
        a, b, released = Node(), Node(), Node()
        a.peer, b.peer, b.held = b, a, released  # a dead session: a cycle that still holds the object
        graveyard.release(released)
        del a, b, released
        now[0] += 1.0
        graveyard.bury()
        assert len(graveyard._graveyard) == 1  # held by the cycle; not overdue yet, no collection
        now[0] += max(OVERDUE_S, COLLECT_EVERY_S) + 1.0
        graveyard.bury()  # overdue: collects, the cycle goes
        graveyard.bury()  # and now only the graveyard refers to it
        assert graveyard._graveyard == []
    finally:
        gc.enable()


def test_a_live_reference_keeps_the_object_whatever_the_collection(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(lifetimes.time, "monotonic", lambda: now[0])
    graveyard = PjObjectGraveyard(8000, 20)
    still_used = Node()
    graveyard.release(still_used)
    for _ in range(3):
        now[0] += COLLECT_EVERY_S + OVERDUE_S + 1.0
        graveyard.bury()
    assert len(graveyard._graveyard) == 1  # a session still playing into a port keeps it
    assert still_used is not None
