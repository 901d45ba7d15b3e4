"""The NLU evaluation's arithmetic: accuracy, out-of-scope false accepts/rejects, per-intent figures, confusion."""

from __future__ import annotations

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu_evaluate import score


def test_score_counts_every_figure():
    triples = [("yes", "affirm", "affirm"), ("sure", "affirm", "deny"), ("no", "deny", "deny"),
               ("hm", "affirm", OUT_OF_SCOPE), ("taxi", OUT_OF_SCOPE, "deny"), ("pizza", OUT_OF_SCOPE, OUT_OF_SCOPE)]
    r = score(triples, "test file", 1.234)
    assert (r.mode, r.n, r.seconds) == ("test file", 6, 1.23)
    assert (r.accuracy, r.in_scope_accuracy, r.oos_false_accept, r.oos_false_reject) == (0.5, 0.5, 0.5, 0.25)
    assert r.per_intent == {
        OUT_OF_SCOPE: {"precision": 0.5, "recall": 0.5, "support": 2},
        "affirm": {"precision": 1.0, "recall": 0.3333, "support": 3},
        "deny": {"precision": 0.3333, "recall": 1.0, "support": 1},
    }
    assert r.confusion["affirm"] == {OUT_OF_SCOPE: 1, "affirm": 1, "deny": 1}
    assert list(r.confusion) == ["affirm", "deny", OUT_OF_SCOPE]  # sorted
    assert r.errors == [("sure", "affirm", "deny"), ("hm", "affirm", OUT_OF_SCOPE), ("taxi", OUT_OF_SCOPE, "deny")]


def test_score_of_nothing_and_of_a_label_never_expected():
    empty = score([], "leave-one-out")
    assert (empty.n, empty.accuracy, empty.in_scope_accuracy, empty.oos_false_accept, empty.oos_false_reject) == (
        0, 0.0, 0.0, 0.0, 0.0)
    assert empty.per_intent == {} and empty.confusion == {} and empty.errors == []
    r = score([("x", "affirm", "deny")], "m")
    assert r.per_intent["deny"] == {"precision": 0.0, "recall": 0.0, "support": 0}
    assert r.per_intent["affirm"] == {"precision": 0.0, "recall": 0.0, "support": 1}
