"""A real SIP call whose conversation is run by a real Rasa server (dialogue.plan = rasa): real pjsua2
phones on 127.0.0.1, Whisper hearing a Piper-voiced caller, the bot speaking Rasa's replies."""

from __future__ import annotations

from voice.conftest import Phone, call_result, next_ports  # the voice tests' real phones and bot harness

from voicebot.callee.harness import BotProcess, read_transcript


def test_inbound_call_driven_by_rasa(rasa_servers, tmp_path):
    port, rtp = next_ports()
    env = {"VOICEBOT_DIALOGUE__PLAN": "rasa", "VOICEBOT_DIALOGUE__RASA_URL": rasa_servers["en-US"].url,
           "VOICEBOT_DIALOGUE__LOCALE": "en-US"}
    with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
        mark = bot.mark()
        persona = {"name": "rasa-caller", "locale": "en-US",
                   "turns": [{"say": "How much does it cost?"}, {"say": "No thanks, I'm not interested."}]}
        report = Phone(tmp_path, persona, call=bot.uri).report()
        finished = call_result(bot, mark)[0]
    transcript = read_transcript(finished["transcript"])
    bot_lines = [t["text"] for t in transcript if t["who"] == "bot"]
    # No CRM name on an inbound call: the {name} field is left out, not read aloud.
    assert bot_lines == ["Hello, this is Acme Home. We have a quiet new air purifier for you, interested?",
                         "It is 1299 yuan, with free delivery.",
                         "No problem, thanks for your time."], transcript
    outcome = finished["outcome"]
    assert outcome["engine"] == "rasa" and outcome["intents"] == ["call_start", "ask_price", "not_interested"]
    assert outcome["hung_up_by"] == "bot" and report["ended_by"] == "bot"
    assert all(t["reply_latency_ms"] is not None for t in report["turns"])
