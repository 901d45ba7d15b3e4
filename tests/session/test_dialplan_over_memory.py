"""The English marketing plan's paths over the in-memory line: refusal, call me later, a person asked
for (warm transfer: the agent hears the summary first), and a complex need twice with the agent busy.

Real Whisper, Piper and NLU, the real session; the phone line is in-process. The Chinese versions of
these calls run over real SIP in tests/voice/test_dialplan_calls.py, with what only SIP can show
(REFER/Replaces, codecs, separate processes)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from voicebot.config import load_settings
from voicebot.dialogue.base import CallInfo
from voicebot.session.call_session import CallSession
from voicebot.session.engines import Engines, load_engines
from voicebot.session.events import CallEvent
from voicebot.transport.memory import MemoryPhone, MemorySwitch

pytestmark = pytest.mark.slow  # ~15 s a call at twice real time, plus the plan's prompts rendered once

ROOT = Path(__file__).resolve().parents[2]
AGENT = "sip:agent@memory"
CUSTOMER = {"name": "Mr Smith", "segment": "price_sensitive", "offer": "tiered_discount",
            "script_variant": "limited-time", "dialplan": "promo_discount"}


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> Engines:
    settings = load_settings()
    settings.paths.recordings_dir = tmp_path_factory.mktemp("recordings")
    settings.dialogue.plan = str(ROOT / "dialplans/outbound_marketing_en.yaml")
    settings.dialogue.locale = "en-US"
    settings.dialogue.agent_uri = AGENT
    settings.dialogue.agent_check = "always"  # no SIP OPTIONS on a memory line; the agent's phone answers or not
    engines = load_engines(settings)
    yield engines
    engines.close()


class OutboundCall:
    """The bot calls a memory phone that answers and speaks its lines, one per bot turn."""

    def __init__(self, engines: Engines, lines: list[str], customer: dict | None = None,
                 agent_answers: bool = True) -> None:
        self.engines = engines
        self.switch = MemorySwitch(engines.settings.media.clock_rate, engines.settings.media.frame_ms, 2.0)
        self.agent = self.switch.add_phone(AGENT, answer=agent_answers, reject_with=0 if agent_answers else 486)
        self.phone: MemoryPhone = self.switch.add_phone("sip:+15550100@memory")
        self.call = self.switch.make_call(self.phone.uri)
        self.events: list[CallEvent] = []
        engines.sinks.append(self._sink)
        info = CallInfo(self.call.uid, "outbound", self.phone.uri, "en-US", dict(customer or CUSTOMER))
        self.session = CallSession(self.switch, self.call, engines, info)
        self.session.start()
        for line in lines:
            self._after_the_bot_speaks()
            self.phone.say(engines.renderer.render(line, "en-US"))

    def _sink(self, event: CallEvent) -> None:
        if event.call_id == self.call.uid:
            self.events.append(event)

    def _after_the_bot_speaks(self, timeout: float = 40.0) -> None:
        """Waits for a new bot line and its end (as a person waits for the other side to finish)."""
        said = len(self.of("bot_turn"))
        deadline = time.time() + timeout
        while time.time() < deadline and not self.call.ended:
            speaker = self.session.speaker
            if len(self.of("bot_turn")) > said and speaker is not None and not speaker.speaking:
                time.sleep(0.2)
                if not speaker.speaking:
                    return
            time.sleep(0.02)

    def of(self, kind: str) -> list[dict]:
        return [e.data for e in list(self.events) if e.type == kind]

    def finish(self, timeout: float = 60.0):
        result = self.session.join(timeout)
        self.engines.sinks.remove(self._sink)
        assert result is not None, [(e.type, e.data) for e in self.events]
        return result

    def bot_lines(self) -> str:
        return " ".join(d["text"] for d in self.of("bot_turn"))

    def why(self) -> list:
        return [(e.type, e.data.get("text") or e.data.get("reason")) for e in self.events
                if e.type in ("user_turn", "bot_turn", "escalation", "transfer")]


def test_refusal_ends_graded_d(engines):
    c = OutboundCall(engines, ["Yes this is me.", "I am not interested.", "No thank you."])
    out = c.finish().outcome
    assert out["intent_grade"] == "D" and out["final_state"] == "goodbye_refused", (out, c.why())
    assert "not_interested" in out["tags"] and out["hangup_reason"] == "refused"


def test_call_me_tomorrow_books_ten_am_and_says_so(engines):
    customer = {**CUSTOMER, "segment": "brand_loyal", "offer": "member_points", "script_variant": "new-arrival"}
    c = OutboundCall(engines, ["Yes speaking.", "I am busy right now. Call me tomorrow."], customer)
    out = c.finish().outcome
    assert out["final_state"] == "callback" and out["intent_grade"] == "C", (out, c.why())
    assert datetime.fromisoformat(out["callbacks"][0]["at"]).hour == 10
    assert "call you back tomorrow at 10 am" in c.bot_lines()


def test_a_person_asked_for_is_a_warm_transfer_with_the_summary_first(engines):
    c = OutboundCall(engines, ["Yes speaking.", "How much is it?", "Can I speak to a real person please?"])
    out = c.finish().outcome
    assert out["transfer"]["ok"] is True and out["transfer"]["mode"] == "warm", (out, c.why())
    assert out["transfer_reason"] == "the customer asked for a person" and out["final_state"] == "transferred"
    summary = out["transfer"]["summary"]
    assert "Mr Smith" in summary and "price sensitive" in summary and "How much is it" in summary
    # The agent heard the summary on the consult leg before the customer was put through to them.
    heard = engines.recognizer.transcribe(np.ascontiguousarray(c.agent.heard()), "en").text.lower()
    assert "smith" in heard and "sensitive" in heard, heard
    assert c.phone.transferred_to == AGENT and c.switch.transfers == [(c.call.uid, AGENT)]
    assert out["transfer"]["hold_audio_s"] > 0  # the customer heard the hold line and music meanwhile


def test_a_complex_need_twice_with_the_agent_busy_books_a_callback(engines):
    c = OutboundCall(engines, ["Yes speaking.", "We need a custom quote for two hundred units for all our offices.",
                               "And can it connect to our building management system?"], agent_answers=False)
    out = c.finish().outcome
    assert out["transfer_reason"] == "a complex or out-of-scope need 2 times in a row", (out, c.why())
    assert out["transfer"]["ok"] is False and out["callbacks"] and "callback" in out["tags"]
    assert out["hangup_reason"] == "no_agent" and "no colleague is free" in c.bot_lines()
