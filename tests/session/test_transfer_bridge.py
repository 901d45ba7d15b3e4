"""Legs bridged through the bot (the agent's phone refused Replaces) live and die together, and the
transfer's thread learns of a hang-up from the leg's own signal, not by looking every so often."""

from __future__ import annotations

import threading
import time
import types
from typing import Callable

import pytest

from voicebot.dialogue.base import CallInfo, Transfer
from voicebot.session.transfer import TransferRunner
from voicebot.transport.memory import MemorySwitch


def _bridged(switch: MemorySwitch, session_wake: Callable[[], None] | None = None) -> TransferRunner:
    customer = switch.incoming(switch.add_phone("sip:customer@memory"))
    customer.signals.wake = session_wake
    switch.answer(customer)
    switch.add_phone("sip:agent@memory")
    consult = switch.make_call("sip:agent@memory")
    info = CallInfo(customer.uid, "inbound", customer.remote_uri)
    runner = TransferRunner(switch, customer, Transfer("sip:agent@memory", "warm"), types.SimpleNamespace(),
                            info, timeout_s=5.0)
    runner.consult = consult
    runner._watch_legs(consult)
    switch.connect_audio(customer, consult)
    runner.bridged = True
    return runner


@pytest.mark.parametrize("first", ["customer", "agent"])
def test_when_one_bridged_leg_hangs_up_the_bot_ends_the_other_at_once(first):
    switch = MemorySwitch(speed=0)  # no media clock: only signals move
    runner = _bridged(switch)
    assert runner.consult is not None
    holder = threading.Thread(target=runner._hold_bridge, daemon=True)
    holder.start()
    holder.join(0.3)
    assert holder.is_alive(), "the bridge must hold while both legs are up"
    hung_up, other = (runner.call, runner.consult) if first == "customer" else (runner.consult, runner.call)
    ended_at = time.monotonic()
    hung_up.end(200, "Normal call clearing", "remote")
    holder.join(2.0)
    assert not holder.is_alive() and other.ended
    assert time.monotonic() - ended_at < 0.2  # woken by the hang-up's signal
    assert other.hung_up_by == "bridge_ended"


def test_a_signal_on_the_customers_leg_still_reaches_the_session():
    """The transfer watches the customer's leg without taking its signals from the session."""
    woken: list[str] = []
    runner = _bridged(MemorySwitch(speed=0), session_wake=lambda: woken.append("session"))
    runner._leg_changed.clear()
    runner.call.end(200, "Normal call clearing", "remote")
    assert woken and runner._leg_changed.is_set()
    signals = []
    while not runner.call.signals.empty():
        signals.append(runner.call.signals.get_nowait().kind)
    assert signals[-1] == "ended"  # still there for the session to read
