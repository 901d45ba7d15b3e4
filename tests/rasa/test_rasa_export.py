"""The exported Rasa project: what Rasa reads, and the errors for examples it could not train on."""

from __future__ import annotations

import pytest
import yaml

from voicebot.dialogue.nlu.rasa_text import rasa_text
from voicebot.dialogue.rasa_export import CONTROL_INTENTS, RasaExportError, export_rasa_project

from .sample_examples import EXAMPLES


def test_chinese_is_segmented_the_same_way_for_training_and_parsing(tmp_path):
    export_rasa_project("zh-CN", EXAMPLES["zh-CN"], tmp_path)
    nlu = yaml.safe_load((tmp_path / "data" / "nlu.yml").read_text(encoding="utf-8"))["nlu"]
    affirm = next(block for block in nlu if block["intent"] == "affirm")
    lines = [line[2:] for line in affirm["examples"].splitlines()]
    assert lines[0] == "好 的" == rasa_text("好的！")
    assert rasa_text("OK，我不需要。") == "ok 我 不 需 要"
    assert rasa_text("I don't NEED it, thanks.") == "i don't need it thanks"
    config = yaml.safe_load((tmp_path / "config.yml").read_text())
    assert [c["name"] for c in config["pipeline"]] == [
        "WhitespaceTokenizer", "CountVectorsFeaturizer", "CountVectorsFeaturizer", "LogisticRegressionClassifier"]
    assert config["language"] != "zh"  # Rasa refuses WhitespaceTokenizer for "zh"; the text is pre-segmented


def test_replies_become_domain_responses_and_rules(tmp_path):
    export_rasa_project("en-US", EXAMPLES["en-US"], tmp_path,
                        {"affirm": "Great, I'll send the details.",
                         "human_agent": ["One moment please.", {"action": "transfer"}],
                         "call_start": "Hello, this is Acme."})
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text())
    assert domain["intents"] == [*EXAMPLES["en-US"], *CONTROL_INTENTS]
    assert domain["responses"]["utter_affirm"] == [{"text": "Great, I'll send the details."}]
    assert domain["responses"]["utter_human_agent"] == [{"text": "One moment please."}]
    assert domain["responses"]["utter_human_agent_2"] == [{"custom": {"action": "transfer"}}]
    rules = yaml.safe_load((tmp_path / "data" / "rules.yml").read_text())["rules"]
    assert {"rule": "answer affirm", "steps": [{"intent": "affirm"}, {"action": "utter_affirm"}]} in rules
    assert {"rule": "answer human_agent", "steps": [
        {"intent": "human_agent"}, {"action": "utter_human_agent"}, {"action": "utter_human_agent_2"}]} in rules


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


def test_the_plans_negatives_train_an_out_of_scope_intent(tmp_path):
    export_rasa_project("en-US", EXAMPLES["en-US"], tmp_path, out_of_scope_examples=["what's the weather", "tell me a joke"])
    nlu = yaml.safe_load((tmp_path / "data" / "nlu.yml").read_text())["nlu"]
    assert nlu[-1] == {"intent": "out_of_scope", "examples": "- what's the weather\n- tell me a joke\n"}
    assert "out_of_scope" in yaml.safe_load((tmp_path / "domain.yml").read_text())["intents"]
