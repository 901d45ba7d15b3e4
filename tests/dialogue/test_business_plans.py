"""The two business-written example plans (dialplans/examples/) understand everyday phone phrasing
they never wrote: it comes from the inherited everyday library (voicebot/dialogue/everyday/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.config import Settings
from voicebot.dialogue.nlu import make_intent_classifier
from voicebot.dialogue.plan import load_dialplan

ROOT = Path(__file__).resolve().parents[2]
PLANS = {"en": ROOT / "dialplans/examples/broadband_renewal_en.yaml", "zh": ROOT / "dialplans/examples/dental_recall_zh.yaml"}


@pytest.fixture(scope="module")
def classifiers():
    settings = Settings()
    return {lang: make_intent_classifier(load_dialplan(str(p)), settings) for lang, p in PLANS.items()}


@pytest.mark.parametrize("lang,text,intent", [
    ("en", "I'm driving right now, can you ring back", "busy_call_later"),
    ("en", "now's a bad time", "busy_call_later"),
    ("en", "who've I got on the phone", "ask_who_is_calling"),
    ("en", "we've switched to a different company", "already_have"),
    ("zh", "我开着车呢", "busy_call_later"),
    ("zh", "你是哪儿打来的", "ask_who_is_calling"),
    ("zh", "帮我转一下前台", "request_human"),
    # 我有一直看的医生 -> already_have needed the zh additions (我有常去的诊所 ...), withdrawn with them.
])
def test_everyday_phrasing_in_a_business_plan(classifiers, lang, text, intent):
    assert classifiers[lang].parse(text).intent == intent
