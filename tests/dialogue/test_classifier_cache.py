"""The cache of trained intent classifiers (nlu/classifier_cache.py): real training with the real
sentence encoder on a small plan, each test in its own cache directory."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import structlog
from structlog.testing import capture_logs

from voicebot.config import Settings
from voicebot.dialogue import load_dialplan
from voicebot.dialogue.nlu import make_intent_classifier
from voicebot.dialogue.nlu.classifier_cache import TrainingInputs

SMALL_PLAN = """\
name: cache_probe
locale: en-US
start: hello
everyday: {enabled: false}
segments:
  default: {offer: none}
no_match: Sorry?
no_input: Hello?
on_exhausted: bye
escalation:
  say: One moment.
  summary: "Customer {name}: {reason}"
  no_agent: Nobody is free.
intents:
  affirm: ['yes', sure, okay, 'yes please', sounds good, go ahead, absolutely, of course]
  deny: ['no', nope, never, 'no thanks', not interested, absolutely not, no way, I don't think so]
  ask_price: [how much is it, what does it cost, what's the price, is it expensive, how much do I pay]
out_of_scope_examples: [what's the weather like, play some music, who won the game, book a flight]
states:
  hello:
    say: Hello {name}, shall we talk?
    on:
      affirm: bye
      deny: bye
      ask_price: bye
  bye:
    say: Goodbye.
    actions: [hang_up]
"""
PROBES = ["yeah sure", "no thank you", "how much will it cost me", "tell me a joke", "okay then"]


@pytest.fixture(autouse=True)
def info_log_lines():
    """These tests read the info lines (nlu_trained, nlu_loaded_from_cache); a command line run
    in-process earlier in the session may have left the level at warnings only."""
    before = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    yield
    structlog.configure(wrapper_class=before)


def _settings(cache_dir: Path, encoder: str = "use-m3") -> Settings:
    settings = Settings()
    settings.paths.cache_dir = cache_dir
    settings.dialogue.nlu_encoder = encoder  # type: ignore[assignment]
    return settings


def _plan_file(tmp_path: Path, text: str = SMALL_PLAN) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _cached_files(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "nlu" / "classifiers").glob("*.npz"))


def _events(logs: list[dict]) -> list[str]:
    return [entry["event"] for entry in logs]


def _train_or_load(path: Path, settings: Settings):
    with capture_logs() as logs:
        clf = make_intent_classifier(load_dialplan(str(path)), settings)
    return clf, _events(logs)


def test_an_unchanged_plan_is_read_back_not_retrained_and_parses_the_same(tmp_path):
    settings = _settings(tmp_path / "cache")
    path = _plan_file(tmp_path)
    trained, events = _train_or_load(path, settings)
    assert "nlu_trained" in events and "nlu_loaded_from_cache" not in events
    assert len(_cached_files(tmp_path / "cache")) == 1
    loaded, events = _train_or_load(path, settings)
    assert "nlu_loaded_from_cache" in events and "nlu_trained" not in events
    assert loaded is not trained and loaded.thresholds == trained.thresholds and loaded.report == trained.report
    for text in PROBES:
        before, after = trained.parse(text), loaded.parse(text)
        assert (after.intent, after.ranking) == (before.intent, before.ranking), text
        assert after.confidence == pytest.approx(before.confidence, abs=1e-9)
    assert loaded.parse("how much will it cost me").intent == "ask_price"


def test_any_changed_byte_of_the_plan_retrains(tmp_path):
    settings = _settings(tmp_path / "cache")
    path = _plan_file(tmp_path)
    first, _ = _train_or_load(path, settings)
    # A comment: the training examples are the same, the plan file is not.
    path.write_text(SMALL_PLAN + "# reviewed\n", encoding="utf-8")
    _, events = _train_or_load(path, settings)
    assert "nlu_trained" in events and "nlu_loaded_from_cache" not in events
    assert len(_cached_files(tmp_path / "cache")) == 2
    # A changed example retrains too, and the new example is learnt.
    path.write_text(SMALL_PLAN.replace("how much do I pay]", "how much do I pay, what's the damage]"), encoding="utf-8")
    clf, events = _train_or_load(path, settings)
    assert "nlu_trained" in events and len(_cached_files(tmp_path / "cache")) == 3
    assert clf.report.examples == first.report.examples + 1
    assert clf.parse("what's the damage").intent == "ask_price"


def test_a_changed_encoder_retrains(tmp_path):
    path = _plan_file(tmp_path)
    with_encoder = _settings(tmp_path / "cache")
    clf, _ = _train_or_load(path, with_encoder)
    _, events = _train_or_load(path, _settings(tmp_path / "cache", encoder="none"))
    assert "nlu_trained" in events and "nlu_loaded_from_cache" not in events
    assert len(_cached_files(tmp_path / "cache")) == 2
    # The encoder's identity (model, size, weights' version) is part of the key: an upgraded
    # encoder package gives another key, hence a retrain.
    plan = load_dialplan(str(path))
    inputs = TrainingInputs(plan.examples, plan.locale, None, plan.out_of_scope_examples, str(path))
    key = inputs.key(clf.encoder)
    assert inputs.key(clf.encoder) == key  # stable
    upgraded = type("Upgraded", (), {"identity": clf.encoder.identity + ".post1"})()
    assert inputs.key(upgraded) != key and inputs.key(None) != key


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_corrupt_cache_file_is_logged_and_retrained_never_fatal(tmp_path, damage):
    settings = _settings(tmp_path / "cache")
    path = _plan_file(tmp_path)
    trained, _ = _train_or_load(path, settings)
    [cached] = _cached_files(tmp_path / "cache")
    good = cached.read_bytes()
    cached.write_bytes({"garbage": b"not a numpy file at all", "truncated": good[: len(good) // 2],
                        "empty": b""}[damage])
    with capture_logs() as logs:
        retrained = make_intent_classifier(load_dialplan(str(path)), settings)
    unreadable = [entry for entry in logs if entry["event"] == "nlu_cache_unreadable"]
    assert unreadable and unreadable[0]["file"] == str(cached) and unreadable[0]["log_level"] == "warning"
    assert "nlu_trained" in _events(logs)
    assert retrained.parse("how much will it cost me").intent == "ask_price"
    assert retrained.thresholds == trained.thresholds
    # The file was rewritten: the next start reads it again.
    _, events = _train_or_load(path, settings)
    assert "nlu_loaded_from_cache" in events and "nlu_cache_unreadable" not in events


def test_the_test_session_never_uses_the_developers_cache():
    # tests/conftest.py points paths.cache_dir at a per-session temporary folder that every test
    # (and every subprocess) shares: a trained classifier is reused within the session, never
    # across sessions or from ~/.cache/voicebot.
    cache_dir = Path(Settings().paths.cache_dir).resolve()
    assert cache_dir != (Path.home() / ".cache" / "voicebot").resolve()
    assert cache_dir.parent.name.startswith("vb-test-")


def test_cached_embeddings_are_the_trained_ones(tmp_path):
    settings = _settings(tmp_path / "cache")
    path = _plan_file(tmp_path)
    trained, _ = _train_or_load(path, settings)
    loaded, _ = _train_or_load(path, settings)
    assert loaded._emb is not None and np.array_equal(loaded._emb, trained._emb)
    assert list(loaded._labels) == list(trained._labels)


def test_the_lint_cross_validation_is_cached_and_a_corrupt_file_recomputed(tmp_path):
    from voicebot.dialogue.nlu import plan_encoder
    from voicebot.dialogue.nlu.classifier_cache import classifier_cache
    from voicebot.dialogue.nlu.lint import lint_plan

    settings = _settings(tmp_path / "cache")
    plan = load_dialplan(str(_plan_file(tmp_path)))
    encoder = plan_encoder(settings)
    uncached = lint_plan(plan, encoder)
    cache = classifier_cache(settings.paths.cache_dir)
    assert lint_plan(plan, encoder, cache) == uncached
    [cv_file] = (tmp_path / "cache" / "nlu" / "classifiers").glob("cv-*.npz")
    written = cv_file.stat().st_ino  # a rewrite replaces the file (a new inode); a read only touches its time
    assert lint_plan(plan, encoder, cache) == uncached and cv_file.stat().st_ino == written  # read, not refitted
    cv_file.write_bytes(b"\0" * 64)
    with capture_logs() as logs:
        assert lint_plan(plan, encoder, cache) == uncached
    assert "nlu_cache_unreadable" in _events(logs)
    assert lint_plan(plan, encoder, cache) == uncached


def test_edited_training_code_gives_another_key(tmp_path, monkeypatch):
    from voicebot.dialogue.nlu import classifier_cache

    path = _plan_file(tmp_path)
    plan = load_dialplan(str(path))
    inputs = TrainingInputs(plan.examples, plan.locale, None, plan.out_of_scope_examples, str(path))
    key = inputs.key(None)
    # The fingerprint covers the normaliser, the model and the calibration sources plus the
    # scikit-learn and pypinyin versions: a changed one must not serve the old classifier.
    monkeypatch.setattr(classifier_cache, "training_code_fingerprint", lambda: "edited")
    assert inputs.key(None) != key
    monkeypatch.undo()
    assert inputs.key(None) == key and len(classifier_cache.training_code_fingerprint()) == 16


def test_the_order_of_the_examples_is_part_of_the_key():
    # The order of the training rows decides the cross-validation folds, hence the thresholds.
    examples = {"affirm": ["yes", "sure"], "deny": ["no", "nope"]}
    reordered = {"deny": ["no", "nope"], "affirm": ["yes", "sure"]}
    key = TrainingInputs(examples, "en-US", None, ["play music"]).key(None)
    assert TrainingInputs(reordered, "en-US", None, ["play music"]).key(None) != key
    assert TrainingInputs(dict(examples), "en-US", None, ["play music"]).key(None) == key
    assert TrainingInputs(examples, "en-US", 0.5, ["play music"]).key(None) != key
    assert TrainingInputs(examples, "en-US", None, ["play music", "a joke"]).key(None) != key


def test_classifiers_unused_for_a_month_are_pruned_and_a_served_one_is_kept(tmp_path):
    import os
    import time

    from voicebot.dialogue.nlu.classifier_cache import UNUSED_FOR_S

    settings = _settings(tmp_path / "cache")
    path = _plan_file(tmp_path)
    _train_or_load(path, settings)
    [served] = _cached_files(tmp_path / "cache")
    long_ago = time.time() - UNUSED_FOR_S - 3600
    os.utime(served, (long_ago, long_ago))
    _, events = _train_or_load(path, settings)  # a restart reads it: used again, so kept
    assert "nlu_loaded_from_cache" in events and served.stat().st_mtime > long_ago
    os.utime(served, (long_ago, long_ago))
    path.write_text(SMALL_PLAN + "# edited\n", encoding="utf-8")  # the plan edited: its old classifier is stale
    _train_or_load(path, settings)
    assert not served.exists() and len(_cached_files(tmp_path / "cache")) == 1
