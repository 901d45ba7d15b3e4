"""Listen, whisper and barge by phone: a real bot, a real customer phone and a real supervisor
phone (separate pjsua2 processes over 127.0.0.1), checked by what each party actually heard."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from voicebot.callee.harness import BotProcess, read_transcript

from .conftest import Phone, call_result, next_ports

PIN = "4321"
# Keyword questions the scripted bot answers, so the customer stays in the call for a while.
CUSTOMER = ["What are your opening hours?", "How much does the basic plan cost?",
            "When do you close on Fridays?", "What is the price per month?",
            "Are you open on Monday morning?", "How much is the fee for the plan?",
            "What time do you open on Tuesday?", "What does the plan cost per year?",
            "When do you close in the evening?", "How much is it with the discount?"]

CUSTOMER_WORDS = ("open", "cost", "close", "price", "fee", "plan")
TRANSFER_LINE = ("connect", "colleague")  # "Sure, let me connect you to a colleague."
BOT_WORDS = ("nine to six", "9 to 6", "twenty dollars", "$20", "monday to friday")  # Whisper writes digits


@pytest.fixture(scope="module")
def recognizer():
    from voicebot.asr import load_recognizer
    from voicebot.config import load_settings

    return load_recognizer(load_settings())


def heard(recognizer, wav: str, start_s: float = 0.0, end_s: float | None = None) -> str:
    """What a phone heard (left channel of its leg recording) between two leg times, as text.

    The recording is cut at its pauses into pieces of at most ~8 s, each transcribed alone: on
    25-30 s of repetitive prompts Whisper can loop on one sentence, and fixed windows cut sentences
    in two (then neither half holds the keyword)."""
    data, rate = sf.read(wav, dtype="int16", always_2d=True)
    pcm = data[int(start_s * rate): None if end_s is None else int(end_s * rate), 0]
    return " ".join(recognizer.transcribe(np.ascontiguousarray(piece), "en").text
                    for piece in _pieces_between_pauses(pcm, rate)).lower()


def _pieces_between_pauses(pcm: np.ndarray, rate: int, max_s: float = 8.0, pause_s: float = 0.35) -> list[np.ndarray]:
    frame = rate // 50
    n = len(pcm) // frame
    if n == 0:
        return [pcm]
    rms = np.sqrt((pcm[: n * frame].astype(np.float64).reshape(n, frame) ** 2).mean(axis=1))
    loud = rms > 150
    # Speech runs of 20 ms frames, merged across pauses shorter than pause_s.
    runs: list[list[int]] = []
    for i in np.flatnonzero(loud):
        if runs and i - runs[-1][1] <= pause_s * 50:
            runs[-1][1] = i
        else:
            runs.append([int(i), int(i)])
    pieces: list[list[int]] = []
    for a, b in runs:  # whole sentences together while the piece stays short
        if pieces and (b - pieces[-1][0]) <= max_s * 50 and a - pieces[-1][1] <= 2 * 50:
            pieces[-1][1] = b
        else:
            pieces.append([a, b])
    pad = 10  # 200 ms of context either side
    return [pcm[max(0, (a - pad) * frame): (b + 1 + pad) * frame] for a, b in pieces]


def speech_seconds(wav: str, start_s: float = 0.0, end_s: float | None = None) -> float:
    """Seconds of speech-level sound a phone heard (20 ms frames above about -40 dBFS)."""
    data, rate = sf.read(wav, dtype="int16", always_2d=True)
    x = data[int(start_s * rate): None if end_s is None else int(end_s * rate), 0].astype(np.float64)
    n = len(x) // (rate // 50)
    rms = np.sqrt((x[: n * (rate // 50)].reshape(n, -1) ** 2).mean(axis=1))
    return float((rms > 300).sum()) / 50


def supervision_bot(tmp_path, args: list[str] | None = None, env: dict[str, str] | None = None) -> BotProcess:
    port, rtp = next_ports()
    return BotProcess(port, rtp, tmp_path / "bot", env={"VOICEBOT_PHONE_SUPERVISION__PIN": PIN, **(env or {})}, args=args)


def live_call_id(bot: BotProcess, mark: int) -> str:
    found = bot.wait_events("media_ready", 1, mark, timeout=30)
    assert found, "the customer's call never got media"
    return found[0]["call_id"]


def supervisor_uri(bot: BotProcess, call_id: str) -> str:
    return f"sip:supervise-{call_id}@127.0.0.1:{bot.port}"


def test_listen_then_barge(tmp_path, recognizer):
    with supervision_bot(tmp_path) as bot:
        mark = bot.mark()
        customer = Phone(tmp_path, {"name": "customer", "turns": [{"say": s} for s in CUSTOMER]}, call=bot.uri)
        call_id = live_call_id(bot, mark)
        supervisor = Phone(tmp_path, {
            "name": "supervisor", "voice_options": {"pitch_semitones": -3}, "reply_timeout_s": 8,
            "after_last_turn": "hangup", "turns": [
                {"dtmf": PIN + "#"},  # after the PIN prompt
                {"dtmf": "1"},  # after the mode menu: listen
                {"say": "Remember to check the blue folder.", "pause_ms": 6000, "wait_for_bot": False},
                {"dtmf": "3", "pause_ms": 6000, "wait_for_bot": False},  # barge
                {"say": "Hello, this is the supervisor speaking. I am taking over this call.",
                 "pause_ms": 2500, "wait_for_bot": False},
                # The customer phone answers whoever talks to it: each line here draws its next question.
                {"say": "Of course. Is there anything else?", "pause_ms": 5000, "wait_for_bot": False},
                {"pause_ms": 8000, "wait_for_bot": False}]}, call=supervisor_uri(bot, call_id))
        sup = supervisor.report()
        cust = customer.report()
        finished = call_result(bot, mark)[0]
        modes = [e["mode"] for e in bot.events("supervisor_mode", mark)]
        left = bot.events("bot_left_call", mark)

    assert finished["call_id"] == call_id and modes == ["listen", "barge"], modes
    listen_from, barge_at = sup["turns"][1]["end_s"], sup["turns"][3]["start_s"]
    sup_wav, cust_wav = sup["legs"][0]["recording"], cust["legs"][0]["recording"]

    # Listen: the supervisor hears the customer's questions and the bot's answers ...
    listened = heard(recognizer, sup_wav, listen_from, barge_at)
    assert any(w in listened for w in CUSTOMER_WORDS), listened
    assert any(w in listened for w in BOT_WORDS), listened
    # ... and nobody hears the supervisor: not the customer, not the bot's recogniser.
    customer_heard = heard(recognizer, cust_wav)
    assert "folder" not in customer_heard, customer_heard
    bot_transcript = read_transcript(finished["transcript"])
    assert not any("folder" in t["text"].lower() for t in bot_transcript if t["who"] == "callee")

    # Barge: the customer hears the supervisor, the supervisor hears the customer, the bot is gone.
    # Either of the supervisor's lines ("of course" is never the bot's): Whisper sometimes returns
    # nothing for the window holding the first one.
    assert any(w in customer_heard for w in ("supervisor", "taking over", "of course")), customer_heard
    # After the supervisor's own line (prompts over, bot gone) whatever reaches them is the customer.
    said_end = sup["turns"][4]["end_s"]
    assert speech_seconds(sup_wav, said_end + 0.5) >= 0.8, heard(recognizer, sup_wav, said_end + 0.5)
    barged = finished["outcome"]["barged"]
    assert left and left[0]["supervisor_call"] == barged["supervisor_call"], left
    bot_lines = [t for t in bot_transcript if t["who"] == "bot"]
    assert bot_lines and all(t["start"] < barged["at_s"] for t in bot_lines), (bot_lines, barged)
    # The call stayed up between customer and supervisor until the supervisor hung up.
    assert finished["outcome"]["hung_up_by"] == "supervisor"
    assert cust["duration_s"] > barged["at_s"] + 8, (cust["duration_s"], barged)


def test_whisper_from_the_menu_makes_the_bot_transfer(tmp_path, recognizer):
    agent = Phone(tmp_path, {"name": "agent", "wait_for_greeting": False, "after_last_turn": "hangup",
                             "turns": [{"say": "Hello, this is Alice from the sales team.", "pause_ms": 300},
                                       {"say": "Sure, I can help with that. Goodbye."}]}).wait_ready()
    with supervision_bot(tmp_path, args=["--agent", agent.uri]) as bot:
        mark = bot.mark()
        customer = Phone(tmp_path, {"name": "customer", "turns": [{"say": s} for s in CUSTOMER[:6]] + [
            {"say": "Hi, I would like to buy the basic plan.", "after_transfer": True}]}, call=bot.uri)
        live_call_id(bot, mark)
        # No call id in the URI: PIN, then the menu of live calls, then the mode menu.
        supervisor = Phone(tmp_path, {
            "name": "supervisor", "voice_options": {"pitch_semitones": -3}, "reply_timeout_s": 8,
            "after_last_turn": "hangup", "turns": [
                {"dtmf": PIN + "#"}, {"dtmf": "1#"}, {"dtmf": "2"},
                {"say": "Transfer this caller to an agent now.", "pause_ms": 3000, "wait_for_bot": False},
                {"pause_ms": 20000, "wait_for_bot": False}]}, call=f"sip:supervise@127.0.0.1:{bot.port}")
        sup = supervisor.report()
        cust = customer.report()
        agent_report = agent.report()
        finished = call_result(bot, mark)[0]
        modes = [e["mode"] for e in bot.events("supervisor_mode", mark)]
        instructions = bot.events("instruction", mark)

    assert modes == ["whisper"], modes
    # The supervisor's words reached the bot's dialogue as a spoken instruction, and its next
    # action was the transfer: said as the very next line, then carried out.
    assert instructions and "transfer" in instructions[0]["text"].lower(), instructions
    assert instructions[0]["source"] == "spoken" and "Transfer" in instructions[0]["actions"]
    transfer = finished["outcome"]["transfer"]
    assert transfer["ok"] is True and transfer["mode"] == "blind", transfer
    assert len(cust["legs"]) == 2 and cust["legs"][1]["transferred_from"] == cust["legs"][0]["call_id"]
    assert agent_report["legs"][0]["heard_bot_s"] > 1.0  # the customer talked to the agent
    # The customer never heard the whisper; the bot's ears on the customer's line neither.
    customer_heard = heard(recognizer, cust["legs"][0]["recording"])
    assert "transfer" not in customer_heard and any(w in customer_heard for w in TRANSFER_LINE), customer_heard
    bot_transcript = read_transcript(finished["transcript"])
    assert not any("transfer" in t["text"].lower() for t in bot_transcript if t["who"] == "callee")
    # While whispering the supervisor heard the conversation, down to the bot's transfer line (the
    # whole recording: before the mode was chosen it held only prompts, none with these words).
    listened = heard(recognizer, sup["legs"][0]["recording"])
    assert any(w in listened for w in CUSTOMER_WORDS) and any(w in listened for w in TRANSFER_LINE), listened


def test_console_calls_a_supervisor_in_and_types_a_whisper_while_a_wrong_pin_gets_nothing(
        tmp_path, recognizer, redis_server):
    redis_env = {"VOICEBOT_REDIS__URL": f"unix://{redis_server.socket_path}"}

    def console(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "voicebot", "supervise", *args], env={**os.environ, **redis_env},
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    with supervision_bot(tmp_path, env=redis_env) as bot:
        mark = bot.mark()
        customer = Phone(tmp_path, {"name": "customer", "turns": [{"say": s} for s in CUSTOMER]}, call=bot.uri)
        call_id = live_call_id(bot, mark)
        # Someone without the PIN dials the supervisor line for the same call.
        intruder = Phone(tmp_path, {"name": "intruder", "turns": [{"dtmf": "9999#"}, {"dtmf": "1111#"}, {"dtmf": "0#"}]},
                         call=supervisor_uri(bot, call_id))
        supervisor = Phone(tmp_path, {"name": "supervisor", "reply_timeout_s": 40,
                                      "turns": [{"pause_ms": 500, "wait_for_bot": False}]}).wait_ready()
        console("call", call_id, "--to", supervisor.uri, "--mode", "listen")
        assert bot.wait_events("supervisor_connected", 1, mark, timeout=30), "the bot never connected the supervisor"
        time.sleep(10)
        console("instruct", call_id, "hang", "up")
        cust, sup, intr = customer.report(), supervisor.report(), intruder.report()
        finished = call_result(bot, mark)[0]
        instructions = bot.events("instruction", mark)
        bad_pins = bot.events("supervisor_bad_pin", mark)
        connected = bot.events("supervisor_connected", mark)

    # The console's request: the bot called the supervisor, who listened to both sides ...
    assert len(connected) == 1 and connected[0]["outbound"] is True and connected[0]["mode"] == "listen"
    listened = heard(recognizer, sup["legs"][0]["recording"])
    assert any(w in listened for w in CUSTOMER_WORDS) and any(w in listened for w in BOT_WORDS), listened
    # ... and the typed whisper was the bot's next action: goodbye and hang up.
    assert [(i["text"], i["source"], i["actions"]) for i in instructions] == [("hang up", "typed", ["Say", "HangUp"])]
    assert finished["outcome"]["hangup_reason"] == "supervisor" and cust["ended_by"] == "bot"
    # (The customer may talk over the goodbye and cut it short: barge-in works as on any line.)
    bot_lines = [t["text"] for t in read_transcript(finished["transcript"]) if t["who"] == "bot"]
    assert bot_lines[-1] == "Thank you for calling. Goodbye!", bot_lines
    assert "thank" in heard(recognizer, cust["legs"][0]["recording"]).split("anything else?")[-1]
    assert sup["ended_by"] == "bot" and "call has ended" in listened, listened
    # Three wrong PINs: hung up, and not a word of the call reached the intruder.
    assert len(bad_pins) == 3 and intr["ended_by"] == "bot"
    intruder_heard = heard(recognizer, intr["legs"][0]["recording"])
    assert "wrong" in intruder_heard, intruder_heard
    assert not any(w in intruder_heard for w in CUSTOMER_WORDS + BOT_WORDS), intruder_heard


def test_supervisor_line_refuses_every_call_while_no_pin_is_configured(bot, tmp_path):
    mark = bot.mark()
    report = Phone(tmp_path, {"name": "snoop", "turns": [{"dtmf": "1#"}]},
                   call=f"sip:supervise@127.0.0.1:{bot.port}").report()
    assert report["end_code"] == 403 and report["ended_by"] == "not answered", report
    refused = bot.wait_events("supervisor_refused", 1, mark, timeout=5)
    assert refused and "pin" in refused[0]["reason"]
