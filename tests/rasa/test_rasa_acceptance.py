"""Issue 3 acceptance: a real Rasa server gives the embedded classifier's intents on the held-out files
(top-1 within 5 points), and one setting (dialogue.engine = rasa) switches a dialplan's NLU to it."""

from __future__ import annotations

import time
import uuid

import pytest

from voicebot.config import load_settings
from voicebot.dialogue.base import CallInfo, UserTurn
from voicebot.dialogue.nlu import make_intent_classifier
from voicebot.dialogue.nlu.embedded import EmbeddedIntentClassifier
from voicebot.dialogue.nlu.rasa_client import RasaIntentClassifier
from voicebot.session.engines import load_dialogue_factory

from .conftest import PLAN_FILES, heldout


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_rasa_top1_within_5_points_of_the_embedded_classifier(rasa_servers, plans, locale, monkeypatch):
    rows = heldout(locale)
    plan = plans[locale]
    embedded = make_intent_classifier(plan, load_settings())
    monkeypatch.setenv("VOICEBOT_DIALOGUE__ENGINE", "rasa")
    monkeypatch.setenv("VOICEBOT_DIALOGUE__RASA_URL", rasa_servers[locale].url)
    rasa = make_intent_classifier(plan, load_settings())  # same plan threshold, other engine
    assert isinstance(embedded, EmbeddedIntentClassifier) and isinstance(rasa, RasaIntentClassifier)

    started = time.monotonic()
    rasa_hits = [rasa.parse(text).intent == want for want, text in rows]
    per_parse_ms = 1000 * (time.monotonic() - started) / len(rows)
    embedded_hits = [embedded.parse(text).intent == want for want, text in rows]
    rasa_acc, embedded_acc = sum(rasa_hits) / len(rows), sum(embedded_hits) / len(rows)
    print(f"\n{locale} held-out top-1 on {len(rows)} utterances: Rasa {rasa_acc:.1%}, embedded {embedded_acc:.1%} "
          f"(difference {100 * (rasa_acc - embedded_acc):+.1f} points); Rasa /model/parse {per_parse_ms:.1f} ms")
    assert abs(rasa_acc - embedded_acc) <= 0.05
    assert rasa_acc >= 0.85


def _turn(text: str) -> UserTurn:
    return UserTurn(text=text, confidence=0.9, start_s=1.0, end_s=2.5)


@pytest.mark.parametrize("locale, turns", [
    ("en-US", ["yes this is me", "how much does it cost", "I want to talk to a real person"]),
    ("zh-CN", ["对，是我", "这个多少钱啊", "给我转人工吧"]),
])
def test_one_setting_switches_the_dialplan_to_rasa_and_the_call_goes_the_same_way(rasa_servers, locale, turns,
                                                                                     monkeypatch):
    monkeypatch.setenv("VOICEBOT_DIALOGUE__PLAN", str(PLAN_FILES[locale]))
    monkeypatch.setenv("VOICEBOT_DIALOGUE__AGENT_URI", "sip:agent@127.0.0.1:5999")
    monkeypatch.setenv("VOICEBOT_DIALOGUE__RASA_URL", rasa_servers[locale].url)

    def converse(engine: str) -> tuple[list, dict]:
        monkeypatch.setenv("VOICEBOT_DIALOGUE__ENGINE", engine)
        factory = load_dialogue_factory(load_settings())
        assert type(factory.plans[0].nlu).__name__ == ("RasaIntentClassifier" if engine == "rasa"
                                                       else "EmbeddedIntentClassifier")
        call = CallInfo(uuid.uuid4().hex, "outbound", "sip:callee@127.0.0.1", locale, {"name": "Lee"})
        dialogue = factory.new_dialogue(call)
        actions = [dialogue.start(call)] + [dialogue.on_user_turn(_turn(text)) for text in turns]
        return actions, dialogue.outcome()

    rasa_actions, rasa_outcome = converse("rasa")
    embedded_actions, embedded_outcome = converse("embedded")
    assert rasa_actions == embedded_actions
    assert rasa_outcome["intents"] == embedded_outcome["intents"] == ["affirm", "ask_price", "request_human"]
    assert any(type(a).__name__ == "Transfer" for a in rasa_actions[-1])
