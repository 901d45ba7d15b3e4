"""Supervision by phone without a SIP stack: bridge routes per mode, supervisor-line addressing,
call picking, DTMF entry, and the Redis console channel's wire format (real redis-server)."""

from __future__ import annotations

import json
import queue
from types import SimpleNamespace

import pytest

from voicebot.supervisor.channel import instruct_key, request_supervisor_call, send_instruction, supervise_key
from voicebot.supervisor.menu import CallerLeft, DtmfReader, pick_call
from voicebot.supervisor.modes import Mode, Parties, routes_for, transition
from voicebot.supervisor.phone import parse_invite
from voicebot.transport.base import CallSignal


class End:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SUP, CUST, BOT, AGENT = End("sup"), End("customer"), End("bot"), End("agent")
BOT_CALL = Parties(SUP, CUST, BOT)
BRIDGED = Parties(SUP, CUST, BOT, AGENT)


def names(routes):
    return {(a.name, b.name) for a, b in routes}


def test_listen_hears_both_sides_and_sends_nothing():
    assert names(routes_for(Mode.LISTEN, BOT_CALL)) == {("customer", "sup"), ("bot", "sup")}
    assert not any(a is SUP for a, _ in routes_for(Mode.LISTEN, BRIDGED))


def test_whisper_never_reaches_the_customer():
    assert names(routes_for(Mode.WHISPER, BOT_CALL)) == {("customer", "sup"), ("bot", "sup")}
    bridged = names(routes_for(Mode.WHISPER, BRIDGED))
    assert ("sup", "agent") in bridged and ("agent", "sup") in bridged
    assert ("sup", "customer") not in bridged


def test_barge_connects_supervisor_and_customer_and_takes_the_bot_out():
    connect, disconnect = transition(Mode.LISTEN, Mode.BARGE, BOT_CALL)
    assert names(connect) == {("sup", "customer"), ("sup", "bot")}  # bot port: keeps the recording whole
    assert names(disconnect) == {("bot", "sup"), ("bot", "customer")}
    assert ("customer", "sup") not in names(connect + disconnect)  # kept up, not re-made


def test_first_mode_connects_everything_it_needs():
    connect, disconnect = transition(None, Mode.WHISPER, BRIDGED)
    assert names(connect) == names(routes_for(Mode.WHISPER, BRIDGED)) and disconnect == []


def test_modes_by_digit_and_name():
    assert [Mode.from_digit(d) for d in "1234"] == [Mode.LISTEN, Mode.WHISPER, Mode.BARGE, None]
    assert Mode.parse(" Barge ") is Mode.BARGE
    with pytest.raises(ValueError, match="listen, whisper or barge"):
        Mode.parse("spy")


INVITE = "INVITE sip:{user}@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080\r\n{extra}Content-Length: 0\r\n\r\n"


@pytest.mark.parametrize("user,extra,expected", [
    ("bot", "", None),
    ("supervise", "", ""),
    ("supervise-3fa9c2d1e0b7", "", "3fa9c2d1e0b7"),
    ("supervisefoo", "", None),
    ("bot", "X-Voicebot-Supervise: 3fa9c2d1e0b7\r\n", "3fa9c2d1e0b7"),
    ("bot", "x-voicebot-supervise: menu\r\n", ""),
])
def test_supervisor_line_addressing(user, extra, expected):
    request = parse_invite(INVITE.format(user=user, extra=extra), "supervise")
    assert (request.call_ref if request else None) == expected
    assert parse_invite("", "supervise") is None


LIVE = [("a1b2c3d4e5f6", "call-1@host"), ("0f9e8d7c6b5a", "call-2@host"), ("123456abc789", "call-3@host")]


@pytest.mark.parametrize("ref,expected", [
    ("2", "0f9e8d7c6b5a"), ("3", "123456abc789"), ("4", None),  # menu numbers
    ("a1b2c3d4e5f6", "a1b2c3d4e5f6"), ("call-3@host", "123456abc789"),  # full ids
    ("789", "123456abc789"), ("6b5a", "0f9e8d7c6b5a"),  # unique endings keyed on a phone
    ("5", None), ("", None), ("zzz", None),
])
def test_pick_call(ref, expected):
    assert pick_call(ref, LIVE) == expected


def dtmf_call(*kinds_digits):
    q: queue.Queue = queue.Queue()
    for kind, digit in kinds_digits:
        q.put(CallSignal(kind, {"digit": digit, "method": "rfc2833"} if kind == "dtmf" else {}))
    return SimpleNamespace(signals=q)


def test_dtmf_entry_until_hash_and_cuts_the_prompt():
    cut = []
    reader = DtmfReader(dtmf_call(*[("dtmf", d) for d in "4321#9"]), on_digit=lambda: cut.append(1))
    assert reader.entry(0.5) == "4321"
    assert reader.digit(0.5) == "9" and len(cut) == 6
    assert reader.entry(0.05) is None  # nothing keyed


def test_dtmf_entry_stops_when_the_supervisor_hangs_up():
    with pytest.raises(CallerLeft):
        DtmfReader(dtmf_call(("dtmf", "1"), ("ended", ""))).entry(0.5)


def test_console_messages_in_redis(redis_client):
    send_instruction(redis_client, "abc123", "  transfer now ")
    request_supervisor_call(redis_client, "abc123", "sip:boss@10.0.0.5", "whisper")
    assert 0 < redis_client.ttl(instruct_key("abc123")) <= 3600  # unread messages of ended calls expire
    assert json.loads(redis_client.lpop(instruct_key("abc123")))["text"] == "transfer now"
    assert json.loads(redis_client.lpop(supervise_key("abc123")))["mode"] == "whisper"
    with pytest.raises(ValueError, match="must start with sip:"):
        request_supervisor_call(redis_client, "abc123", "boss@10.0.0.5", "listen")
    with pytest.raises(ValueError, match="some text"):
        send_instruction(redis_client, "abc123", "   ")


def test_prompts_exist_in_both_locales():
    from voicebot.supervisor.menu import PROMPTS, prompt

    assert PROMPTS["en-US"].keys() == PROMPTS["zh-CN"].keys()
    assert prompt("zh-CN", "connecting", mode="监听").endswith("监听。")
    assert prompt("en-US", "calls", n=3).startswith("There are 3 live calls")
