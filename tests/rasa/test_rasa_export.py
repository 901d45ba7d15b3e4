"""The exported Rasa project: what Rasa reads, the CLI from a dialplan, and refused input."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from voicebot.dialogue.nlu.rasa_text import rasa_text
from voicebot.dialogue.rasa_export import CONTROL_INTENTS, RasaExportError, export_rasa_project

from .conftest import PLAN_FILES, ROOT

SMALL = {"affirm": ["yes", "sure", "OK!"], "deny": ["no", "nope", "no thanks"], "ask_price": ["how much"]}


def _nlu(project) -> dict[str, list[str]]:
    nlu = yaml.safe_load((project / "data" / "nlu.yml").read_text(encoding="utf-8"))["nlu"]
    return {block["intent"]: [line[2:] for line in block["examples"].splitlines()] for block in nlu}


def test_cli_exports_a_dialplan_with_chinese_segmented_as_the_client_does(tmp_path, plans):
    proc = subprocess.run([sys.executable, "-m", "voicebot", "rasa", "export", "--dialplan",
                           str(PLAN_FILES["zh-CN"]), "-o", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "zh-CN, 18 intents" in proc.stdout
    plan = plans["zh-CN"]
    nlu = _nlu(tmp_path)
    assert list(nlu) == [*plan.examples, "out_of_scope"]
    first = plan.examples["ask_price"][0]
    assert nlu["ask_price"][0] == rasa_text(first) and " " in rasa_text(first)  # one token per character
    assert len(nlu["out_of_scope"]) == len(set(map(rasa_text, plan.out_of_scope_examples)))
    assert rasa_text("OK，我不需要。") == "ok 我 不 需 要"
    assert rasa_text("Um, I don't NEED it, thanks.") == "i do not need it thanks"  # as the embedded classifier
    assert rasa_text("我要买２台") == "我 要 买 2 台"
    config = yaml.safe_load((tmp_path / "config.yml").read_text())
    assert [c["name"] for c in config["pipeline"]] == [
        "WhitespaceTokenizer", *["CountVectorsFeaturizer"] * 3, "LogisticRegressionClassifier"]
    assert config["language"] != "zh"  # Rasa refuses WhitespaceTokenizer for "zh"; the text is pre-segmented
    assert yaml.safe_load((tmp_path / "data" / "rules.yml").read_text())["rules"] == []


def test_cli_names_the_broken_dialplan(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nlocale: en-US\nintents: [\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "voicebot", "rasa", "export", "--dialplan", str(broken),
                           "-o", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert f"{broken}:" in proc.stderr and "not valid YAML" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_replies_become_domain_responses_and_rules(tmp_path):
    export_rasa_project("en-US", SMALL, tmp_path,
                        {"affirm": "Great, I'll send the details.",
                         "deny": ["One moment please.", {"action": "hang_up"}],
                         "call_start": "Hello, this is Acme."})
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text())
    assert domain["intents"] == [*SMALL, *CONTROL_INTENTS]
    assert domain["responses"]["utter_affirm"] == [{"text": "Great, I'll send the details."}]
    assert domain["responses"]["utter_deny"] == [{"text": "One moment please."}]
    assert domain["responses"]["utter_deny_2"] == [{"custom": {"action": "hang_up"}}]
    rules = yaml.safe_load((tmp_path / "data" / "rules.yml").read_text())["rules"]
    assert {"rule": "answer affirm", "steps": [{"intent": "affirm"}, {"action": "utter_affirm"}]} in rules
    assert {"rule": "answer deny", "steps": [
        {"intent": "deny"}, {"action": "utter_deny"}, {"action": "utter_deny_2"}]} in rules
    assert _nlu(tmp_path)["affirm"] == ["yes", "sure", "okay"]


@pytest.mark.parametrize("examples, responses, message", [
    ({"only": ["one"]}, None, "at least 2 intents"),
    ({"a b": ["x"], "c": ["y"]}, None, "intent name 'a b'"),
    ({"a": ["!!!"], "c": ["y"]}, None, "intent 'a' has no non-empty examples"),
    ({"a": ["x"], "c": ["y"]}, {"zzz": "hi"}, "responses for intents without examples: zzz"),
    ({"a": ["x"], "c": ["y"]}, {"a": ["ok", 3]}, "reply to 'a' must be a text or a custom-payload mapping"),
])
def test_unusable_examples_are_refused_with_the_reason(tmp_path, examples, responses, message):
    with pytest.raises(RasaExportError, match=message):
        export_rasa_project("en-US", examples, tmp_path, responses)
    assert not (tmp_path / "config.yml").exists()  # nothing half-written
