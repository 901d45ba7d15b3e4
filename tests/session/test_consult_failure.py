"""A failed warm transfer names what the agent's side said (it was always "agent did not answer")."""

from __future__ import annotations

import pytest

from voicebot.session.transfer import consult_failure


@pytest.mark.parametrize("code,reason,expected", [
    (404, "Not Found", "agent not found (404 Not Found)"),
    (486, "Busy Here", "agent busy (486 Busy Here)"),
    (480, "Temporarily Unavailable", "agent did not answer (480 Temporarily Unavailable)"),
    (603, "Decline", "agent declined (603 Decline)"),
    (407, "Proxy Authentication Required", "the PBX refused the bot's call to the agent"),
    (500, "Server Error", "call to the agent failed (500 Server Error)"),
])
def test_each_status_gets_its_own_reason(code, reason, expected):
    assert consult_failure(code, reason).startswith(expected)


def test_an_agent_who_hangs_up_before_the_refer_is_not_a_no_answer():
    assert consult_failure(200, "Normal call clearing", answered=True).startswith("the agent hung up")


def test_an_answered_consult_with_media_is_no_failure():
    """The loop ends as soon as the agent answered with media: that is success, not a timeout."""
    import queue
    import types

    from voicebot.session.transfer import TransferRunner
    from voicebot.transport.base import CallSignal

    consult = types.SimpleNamespace(signals=queue.Queue())
    consult.signals.put(CallSignal("answered"))
    consult.signals.put(CallSignal("media_ready"))
    fake = types.SimpleNamespace(timeout_s=5.0, hold=None, call=types.SimpleNamespace(ended=False))
    assert TransferRunner._await_answer(fake, consult) == ""
