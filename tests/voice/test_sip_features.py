"""SIP features over real RTP: codecs, DTMF both ways of signalling, barge-in, blind transfer, concurrency."""

from __future__ import annotations

import pytest

from voicebot.callee.harness import BotProcess, read_transcript

from .conftest import Phone, call_result, channel_rms, next_ports

SHORT = [{"say": "What are your opening hours?"}, {"say": "Thank you, goodbye."}]


@pytest.mark.parametrize("codec", ["PCMU/8000", "PCMA/8000", "G722/16000"])
def test_codecs_negotiated_and_conversation_works(bot, tmp_path, codec):
    mark = bot.mark()
    phone = Phone(tmp_path, {"name": f"codec-{codec[:4]}", "turns": SHORT}, call=bot.uri, codecs=[codec])
    report = phone.report()
    assert report["legs"][0]["codec"] == codec
    transcript = read_transcript(call_result(bot, mark)[0]["transcript"])
    heard = " ".join(t["text"].lower() for t in transcript if t["who"] == "callee")
    assert "hour" in heard and "bye" in heard
    assert report["ended_by"] == "bot"


def test_dtmf_rfc2833_and_sip_info_are_received(bot, tmp_path):
    persona = {"name": "dtmf", "after_last_turn": "hangup",
               "turns": [{"dtmf": "1"}, {"dtmf": "5", "dtmf_method": "sip_info"}, {"dtmf": "9"}]}
    mark = bot.mark()
    Phone(tmp_path, persona, call=bot.uri).report()
    outcome = call_result(bot, mark)[0]["outcome"]
    assert outcome["dtmf"] == ["1", "5", "9"]
    methods = [e["method"] for e in bot.events("dtmf", mark)]
    assert methods == ["rfc2833", "sip_info", "rfc2833"]


def test_barge_in_stops_the_bot_within_100ms_of_the_threshold(bot, tmp_path):
    persona = {"name": "interrupter", "after_last_turn": "hangup",
               "turns": [{"say": "Sorry to interrupt, what are your opening hours?", "barge_in_after_ms": 700},
                         {"say": "Thanks, goodbye."}]}
    mark = bot.mark()
    report = Phone(tmp_path, persona, call=bot.uri).report()
    first = report["turns"][0]
    assert first["barge_in"] is True
    # At the bot: once barge_in_ms (300) of speech over it is detected, playout stops within 100 ms.
    stops = bot.wait_events("barge_in", 1, mark)
    assert stops and stops[0]["stop_latency_ms"] <= 100
    # At the caller's ear: 300 ms + VAD onset (~100 ms) + stop + RTP both ways.
    assert first["bot_stopped_after_ms"] is not None and first["bot_stopped_after_ms"] <= 300 + 100 + 200
    transcript = read_transcript(call_result(bot, mark)[0]["transcript"])
    greeting = next(t for t in transcript if t["who"] == "bot")
    assert greeting["interrupted"] is True
    heard = " ".join(t["text"].lower() for t in transcript if t["who"] == "callee")
    assert "interrupt" in heard or "opening" in heard, heard  # the barged-in turn was heard and kept


def test_blind_transfer_lands_the_callee_on_an_agent_with_audio_both_ways(tmp_path):
    agent = Phone(tmp_path, {"name": "agent", "wait_for_greeting": False, "after_last_turn": "hangup",
                             "turns": [{"say": "Hello, this is Alice from the sales team.", "pause_ms": 300},
                                       {"say": "Sure, I can help with that. Goodbye."}]}).wait_ready()
    port, rtp = next_ports()
    with BotProcess(port, rtp, tmp_path / "bot", args=["--agent", agent.uri]) as bot:
        mark = bot.mark()
        caller = Phone(tmp_path, {"name": "wants-human", "turns": [
            {"say": "Can I speak to a person please?"},
            {"say": "Hi Alice, I would like to buy the basic plan."}]}, call=bot.uri)
        report = caller.report()
        agent_report = agent.report()
        finished = call_result(bot, mark)[0]
    assert len(report["legs"]) == 2, report
    assert report["legs"][1]["transferred_from"] == report["legs"][0]["call_id"]
    assert finished["outcome"]["transfer"]["ok"] is True
    assert finished["outcome"]["transfer"]["mode"] == "blind"
    # Audio both ways on the new leg: the caller heard the agent, the agent heard the caller.
    assert report["legs"][1]["heard_bot_s"] > 1.0
    assert agent_report["legs"][0]["heard_bot_s"] > 1.0
    left, right = channel_rms(agent_report["legs"][0]["recording"])
    assert left > 100 and right > 100


def test_four_simultaneous_calls(bot, tmp_path):
    mark = bot.mark()
    phones = [Phone(tmp_path, {"name": f"parallel-{i}", "turns": SHORT}, call=bot.uri) for i in range(4)]
    reports = [p.report() for p in phones]
    finished = call_result(bot, mark, 4)
    assert len({f["call_id"] for f in finished}) == 4
    for report in reports:
        assert report["ended_by"] == "bot"
        assert all(t["reply_latency_ms"] is not None for t in report["turns"])
    for f in finished:
        heard = " ".join(t["text"].lower() for t in read_transcript(f["transcript"]) if t["who"] == "callee")
        assert "hour" in heard


def test_warm_transfer_agent_hears_the_summary_before_the_caller(tmp_path):
    from voicebot.asr import load_recognizer
    from voicebot.audio.pcm import read_wav
    from voicebot.config import load_settings

    agent = Phone(tmp_path, {"name": "agent", "wait_for_greeting": True, "after_last_turn": "hangup", "turns": [
        {"say": "Hello, this is Alice from sales. How can I help?", "after_transfer": True, "pause_ms": 500},
        {"say": "Great, I will send you the contract. Goodbye."}]}).wait_ready()
    port, rtp = next_ports()
    env = {"VOICEBOT_DIALOGUE__TRANSFER_MODE": "warm"}
    with BotProcess(port, rtp, tmp_path / "bot", env=env, args=["--agent", agent.uri]) as bot:
        mark = bot.mark()
        caller = Phone(tmp_path, {"name": "wants-human", "turns": [
            {"say": "Can I speak to a person please?"},
            {"say": "Hi Alice, I would like to buy the basic plan.", "after_transfer": True}]}, call=bot.uri)
        report = caller.report()
        agent_report = agent.report()
        finished = call_result(bot, mark)[0]
    transfer = finished["outcome"]["transfer"]
    assert transfer["ok"] is True and transfer["mode"] == "warm", transfer
    # The agent's first leg is the bot's consult call: it heard the spoken summary there ...
    consult, bridged = agent_report["legs"]
    assert bridged["transferred_from"] == consult["call_id"]
    heard, _ = read_wav(consult["recording"], 16000)  # mono mix; on this leg only the bot spoke
    recognizer = load_recognizer(load_settings())
    summary = recognizer.transcribe(heard, "en").text.lower()
    assert "person" in summary or "transferring" in summary, summary
    # Meanwhile the caller was not left in silence: the hold line (then music) on the first leg.
    assert finished["outcome"]["transfer"]["hold_audio_s"] > 2.0
    first_leg, _ = read_wav(report["legs"][0]["recording"], 16000)
    assert "hold" in recognizer.transcribe(first_leg, "en").text.lower()
    # ... and only then was the caller put through (REFER with Replaces): audio both ways.
    assert len(report["legs"]) == 2 and report["legs"][1]["heard_bot_s"] > 1.0
    assert bridged["heard_bot_s"] > 1.0
