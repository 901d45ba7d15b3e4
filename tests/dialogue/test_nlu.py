"""Embedded intent recognition on both sample dialplans: held-out accuracy through the CLI,
robustness to fillers / ASR errors, out-of-scope, training time, the engine seam."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from voicebot.cli import main
from voicebot.config import Settings
from voicebot.dialogue import load_dialplan
from voicebot.dialogue.nlu import OUT_OF_SCOPE, make_intent_classifier
from voicebot.dialogue.nlu.normalize import normalize_en, normalize_zh

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
PLANS = {"en": ROOT / "dialplans/outbound_marketing_en.yaml", "zh": ROOT / "dialplans/outbound_marketing_zh.yaml"}


def _heldout(lang: str) -> list[tuple[str, str]]:
    rows = []
    for line in (HERE / f"heldout_{lang}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, text = line.split("\t")
            rows.append((intent, text))
    return rows


def _plain(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.lower())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_heldout_accuracy_via_cli_at_least_92_percent(lang, capsys, monkeypatch):
    rows = _heldout(lang)
    plan = load_dialplan(str(PLANS[lang]))
    # No held-out line was copied into the training data (case, spaces and punctuation aside). The
    # NLU's own normaliser is deliberately not used here: it maps "nah"/"no", "who's"/"who is" and
    # 您好啊/您好 together, which is its job, not a copy.
    train = {_plain(ex) for exs in plan.examples.values() for ex in exs} | {_plain(ex) for ex in plan.out_of_scope_examples}
    assert not [t for _, t in rows if _plain(t) in train], "held-out lines must not be training examples"
    # The command line in-process (what `python -m voicebot` runs): the test is about what
    # `nlu parse` prints, and the session's trained classifier is reused instead of a new process
    # loading the encoder again.
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(t for _, t in rows) + "\n"))
    status = main(["nlu", "parse", "--dialplan", str(PLANS[lang])])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert len(out) == len(rows) and all(set(o) == {"text", "intent", "confidence"} for o in out)
    misses = [(want, o["intent"], o["text"]) for (want, _), o in zip(rows, out) if o["intent"] != want]
    accuracy = 1 - len(misses) / len(rows)
    print(f"\nheld-out {lang}: {len(rows) - len(misses)}/{len(rows)} = {accuracy:.1%} top-1")
    for m in misses:
        print("  miss:", m)
    assert accuracy >= 0.92


@pytest.fixture(scope="module")
def classifiers():
    settings = Settings()
    return {lang: make_intent_classifier(load_dialplan(str(p)), settings) for lang, p in PLANS.items()}


@pytest.mark.parametrize("lang,text,intent", [
    ("zh", "嗯，呃，那个，多少钱啊？", "ask_price"),
    ("zh", "我要找人攻", "request_human"),  # 人工 heard as 人攻
    ("zh", "我想跟诚人说话。", "request_human"),  # 真人 heard as 诚人
    ("zh", "我现在没时间,明天才打给我。", "busy_call_later"),
    ("zh", "我要买２台", "want_to_buy"),  # full-width digit
    ("zh", "我要买两台", "want_to_buy"),
    ("zh", "今天天气怎么样呀", OUT_OF_SCOPE),
    ("en", "um, uh, how much is it?", "ask_price"),
    ("en", "I I want to talk to a a person", "request_human"),
    ("en", "Yeah, sure, go ahead.", "affirm"),
    ("en", "I'm driving right now, call me back in 2 hours", "busy_call_later"),
    ("en", "Can you book me a flight to Boston?", OUT_OF_SCOPE),
    # a bare backchannel is an answer, not silence; recognisers drop apostrophes
    ("zh", "嗯嗯", "affirm"),
    ("zh", "恩", "affirm"),
    ("en", "uh huh", "affirm"),
    ("en", "mhm", "affirm"),
    ("en", "im driving right now", "busy_call_later"),
    ("en", "i dont want any more calls", "stop_calling"),
])
def test_robust_to_fillers_asr_errors_numbers(classifiers, lang, text, intent):
    r = classifiers[lang].parse(text)
    assert r.intent == intent, r
    assert 0.0 <= r.confidence <= 1.0 and r.ranking


def test_normalisation():
    assert normalize_zh("嗯，一百二十块！ＡＢＣ") == "120块 abc"
    assert normalize_zh("我要买两台") == "我要买两台"  # 两/一 alone stay words
    assert normalize_en("Um, I'm NOT, uh, interested... two hundred") == "i am not interested 2 100"


def test_normalisation_of_backchannels_particles_and_asr_spelling():
    assert normalize_zh("嗯嗯。") == normalize_zh("恩") == "嗯"  # kept: on a call a bare 嗯 answers
    # a hesitation alone is the everyday `filler` intent (喂/呃/hang on), one token, not silence
    assert normalize_zh("呃……") == normalize_zh("哦") == "呃" and normalize_zh("……") == ""
    assert normalize_en("um...") == normalize_en("hmm") == "um" and normalize_en("mm-hm") == "yes"
    assert normalize_zh("啊？") == "啊"
    assert normalize_zh("那个，可以的呀") == "可以的"
    assert normalize_zh("哈喽") == "哈喽"
    assert normalize_zh("价格呢？多少钱吗") == "价格呢 多少钱吗"  # 呢/吗 make questions: kept
    assert normalize_en("uh huh") == normalize_en("Mm-hmm") == "yes"
    assert normalize_en("im not interested dont call") == normalize_en("I'm not interested, don't call")
    assert normalize_en("were good thanks") == "we are good thanks"
    assert normalize_en("were you calling about my order") == "were you calling about my order"
    assert normalize_en("have a good one") == "have a good one"  # "one" is a pronoun here, not 1


def test_training_uses_every_example_and_parse_is_thread_safe():
    # How long training and a parse take is a figure of benchmarks/nlu_speed.py, not a test: on the
    # shared 2-core machine a wall-clock bound fails whenever someone else is busy.
    import threading

    from voicebot.dialogue.nlu.embedded import EmbeddedIntentClassifier

    plan = load_dialplan(str(PLANS["zh"]))
    clf = EmbeddedIntentClassifier(plan.examples, plan.locale, 0.35, plan.out_of_scope_examples)
    oos = plan.out_of_scope_examples or []
    assert clf.report.examples == sum(len(v) for v in plan.examples.values()) + len(oos)
    assert clf.report.intents == len([i for i, v in plan.examples.items() if v]) + (1 if oos else 0)
    results: list[str] = []

    def work() -> None:
        for _ in range(50):
            results.append(clf.parse("我想买一台").intent)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {"want_to_buy"} and len(results) == 200


def test_engine_seam_rasa_is_imported_lazily(monkeypatch):
    import types

    calls = {}

    class FakeRasa:  # no server needed to check what the setting passes (tests/rasa use a real one)
        def __init__(self, url, threshold, timeout_s):
            calls["args"] = (url, threshold, timeout_s)

    monkeypatch.setitem(sys.modules, "voicebot.dialogue.nlu.rasa_client",
                        types.SimpleNamespace(RasaIntentClassifier=FakeRasa))
    settings = Settings()
    settings.dialogue.engine = "rasa"
    settings.dialogue.rasa_timeout_s = 0.7
    clf = make_intent_classifier(load_dialplan(str(PLANS["en"])), settings)
    # The sample plan sets no nlu.threshold (the embedded classifier calibrates its own): Rasa gets the setting.
    assert isinstance(clf, FakeRasa) and calls["args"] == (settings.dialogue.rasa_url,
                                                           settings.dialogue.out_of_scope_threshold, 0.7)
