"""Emotion in a live call: an upset caller gets a softer line, then a person; a calm one gets neither."""

from __future__ import annotations

from voicebot.callee.harness import BotProcess, read_transcript

from .conftest import Phone, call_result, next_ports

SOOTHE = "I am sorry about the trouble. I can put you through to a colleague if you like."


def test_growing_agitation_softens_then_escalates_to_an_agent(tmp_path):
    agent = Phone(tmp_path, {"name": "agent", "wait_for_greeting": False, "after_last_turn": "hangup",
                             "turns": [{"say": "Hello, customer care, how can I help?", "pause_ms": 300}]}).wait_ready()
    # Calm first (the caller's baseline), then louder, higher and faster with angry words.
    angry = {"name": "angry", "turns": [
        {"say": "Who is this? What do you want?"},
        {"say": "Stop calling me! This is harassment!", "voice_options": {"pitch_semitones": 4, "gain_db": 6}},
        {"say": "I am angry, I will complain! Leave me alone!", "voice_options": {"pitch_semitones": 4, "gain_db": 6}}]}
    port, rtp = next_ports()
    with BotProcess(port, rtp, tmp_path / "bot", args=["--agent", agent.uri]) as bot:
        mark = bot.mark()
        report = Phone(tmp_path, angry, call=bot.uri).report()
        agent.report()
        finished = call_result(bot, mark)[0]
        emotions = [e["emotion"] for e in bot.events("user_turn", mark)]
    outcome = finished["outcome"]
    # The calm opener may reach the bot as one turn or two (a pause between its sentences).
    assert emotions[-2:] == ["agitated", "agitated"] and "agitated" not in emotions[:-2], emotions
    bot_lines = [t["text"] for t in read_transcript(finished["transcript"]) if t["who"] == "bot"]
    assert SOOTHE in bot_lines, bot_lines  # the first agitated turn got the softer branch
    assert outcome["escalation"] == "sustained negative emotion"
    assert outcome["transfer"]["ok"] is True and outcome["transfer"]["reason"] == "sustained negative emotion"
    assert len(report["legs"]) == 2  # the caller ended up with the agent


def test_calm_caller_is_never_escalated(bot, tmp_path):
    mark = bot.mark()
    Phone(tmp_path, "demo-en", call=bot.uri).report()
    outcome = call_result(bot, mark)[0]["outcome"]
    assert outcome["escalation"] == ""
    assert "agitated" not in outcome["emotions"] and len(outcome["emotions"]) == 4
    assert "transfer" not in outcome
