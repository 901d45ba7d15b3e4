"""What a real PBX sends that a softphone rarely does: huge INVITEs, one-way and delayed offers, a caller
too many. sipp plays the PBX; each case must end in working media or a clean, explained rejection."""

from __future__ import annotations

import subprocess

import pytest

from voicebot.callee.harness import BotProcess

from .conftest import call_result, next_ports
from .test_sipp_and_errors import SCENARIOS


def sipp_call(bot: BotProcess, scenario: str, *extra: str, timeout: int = 40) -> subprocess.CompletedProcess:
    port, rtp = next_ports()  # its own media port too: two sipp at once collide on the default 6000
    return subprocess.run(["sipp", "-nostdin", "-p", str(port), "-mp", str(rtp), "-m", "1", "-timeout", f"{timeout}s", "-timeout_error",
                           *extra, "-sf", str(SCENARIOS / scenario), "-s", "bot", f"127.0.0.1:{bot.port}"],
                          capture_output=True, text=True, timeout=timeout + 15)


@pytest.fixture(scope="module")
def one_call_bot(tmp_path_factory):
    """A bot that admits one call: the second gets the bot's own busy (a pjsua slot is still free)."""
    port, rtp = next_ports()
    env = {"VOICEBOT_SIP__MAX_CALLS": "1", "VOICEBOT_SIP__BUSY_RETRY_AFTER_S": "45"}
    with BotProcess(port, rtp, tmp_path_factory.mktemp("bot"), env=env) as proc:
        yield proc


def _rejections(bot: BotProcess, since: int, count: int = 1) -> list[dict]:
    return bot.wait_events("call_rejected", count, since, timeout=10)


def test_invite_cut_by_the_udp_limit_is_refused_with_513(one_call_bot):
    mark = one_call_bot.mark()
    out = sipp_call(one_call_bot, "uac_large_invite_expect_513.xml")
    assert out.returncode == 0, out.stdout[-1500:] + out.stderr[-1500:]
    rejected = _rejections(one_call_bot, mark)
    assert rejected and rejected[0]["code"] == 513 and "4000" in rejected[0]["reason"], rejected
    assert not one_call_bot.events("media_ready", mark)  # no call was answered without its SDP


def test_sendonly_offer_is_refused_with_488(one_call_bot):
    mark = one_call_bot.mark()
    out = sipp_call(one_call_bot, "uac_sendonly_expect_488.xml")
    assert out.returncode == 0, out.stdout[-1500:] + out.stderr[-1500:]
    rejected = _rejections(one_call_bot, mark)
    assert rejected and rejected[0]["code"] == 488 and "sendonly" in rejected[0]["reason"]


def test_invite_without_sdp_gets_an_offer_and_working_media(one_call_bot):
    mark = one_call_bot.mark()
    out = sipp_call(one_call_bot, "uac_no_sdp_delayed_offer.xml")
    assert out.returncode == 0, out.stdout[-1500:] + out.stderr[-1500:]
    finished = call_result(one_call_bot, mark)[0]
    assert one_call_bot.events("media_ready", mark)[0]["codec"] == "PCMA/8000"
    assert finished["outcome"]["answered_by"] == "human"
    # The caller's recorded speech reached the bot (its VAD heard it over the greeting, or a turn closed).
    assert one_call_bot.events("barge_in", mark) or one_call_bot.events("user_turn", mark)


def test_a_call_over_the_limit_gets_the_bots_own_busy_with_retry_after(one_call_bot):
    mark = one_call_bot.mark()
    port, rtp = next_ports()
    first = subprocess.Popen(["sipp", "-nostdin", "-p", str(port), "-mp", str(rtp), "-m", "1", "-timeout", "40s",
                              "-sf", str(SCENARIOS / "uac_pcap_dtmf.xml"), "-s", "bot", f"127.0.0.1:{one_call_bot.port}"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if not one_call_bot.wait_events("media_ready", 1, mark, timeout=15):
            first.kill()
            raise AssertionError(f"first call (port {port}, rtp {rtp}) not answered: {first.communicate()[0][:1500]}"
                                 + subprocess.run(["ss", "-lunp"], capture_output=True, text=True).stdout)
        out = sipp_call(one_call_bot, "uac_busy_expect_486.xml")  # fails unless the 486 has Retry-After
    finally:
        first.wait(60)
    assert out.returncode == 0, out.stdout[-1500:] + out.stderr[-1500:]
    rejected = _rejections(one_call_bot, mark)
    assert rejected and rejected[0]["code"] == 486 and "max_calls = 1" in rejected[0]["reason"], rejected
    call_result(one_call_bot, mark)  # the first call went on to its end


def test_reload_and_drain_keep_the_live_call(tmp_path):
    """SIGHUP reloads the dialogue plans; SIGTERM drains: a new caller gets 503 with Retry-After, the call
    in progress goes on to its end, then the process exits. (A broken plan on reload:
    tests/sip/test_pbx_units.py.)"""
    import signal

    port, rtp = next_ports()
    bot = BotProcess(port, rtp, tmp_path / "bot", env={"VOICEBOT_OPS__DRAIN_TIMEOUT_S": "60"}).start()
    try:
        bot.proc.send_signal(signal.SIGHUP)
        assert bot.wait_events("dialplan_reloaded", 1, timeout=15)
        mark = bot.mark()
        sport, srtp = next_ports()
        live = subprocess.Popen(["sipp", "-nostdin", "-p", str(sport), "-mp", str(srtp), "-m", "1", "-timeout", "40s",
                                 "-sf", str(SCENARIOS / "uac_pcap_dtmf.xml"), "-s", "bot", f"127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert bot.wait_events("media_ready", 1, mark, timeout=15), "the live call was not answered"
        bot.proc.send_signal(signal.SIGTERM)
        assert bot.wait_events("draining", 1, mark, timeout=10)
        refused = sipp_call(bot, "uac_draining_expect_503.xml")
        live.wait(60)
        assert live.returncode == 0, "the call in progress was cut by the drain"
        assert bot.proc.wait(30) == 0
    finally:
        bot.stop()
    assert refused.returncode == 0, refused.stdout[-1500:]
    rejected = bot.events("call_rejected", mark)
    assert rejected and rejected[0]["code"] == 503
    finished = bot.events("call_finished", mark)
    assert finished and finished[0]["outcome"]["hung_up_by"] == "remote"


def test_sigterm_at_any_moment_ends_an_idle_bot(tmp_path):
    """A stop (systemd, docker, the test harness) at any moment, here the instant the bot says it is
    ready, while it is still writing log lines. The SIGTERM handler used to log the drain, and when the
    signal came while the main thread held the log's lock the process deadlocked: 3 stops in 4 hung
    until killed."""
    import signal

    port, rtp = next_ports()
    for attempt in range(3):
        bot = BotProcess(port, rtp, tmp_path / f"bot{attempt}").start()
        try:
            bot.proc.send_signal(signal.SIGTERM)
            assert bot.proc.wait(10) == 0, f"attempt {attempt}: the bot did not exit on SIGTERM"
        finally:
            bot.stop()
        assert bot.events("sip_stopped"), bot.lines[-5:]
