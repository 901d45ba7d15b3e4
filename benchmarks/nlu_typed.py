"""Typed accuracy only (no timing: safe on a shared machine), for ``benchmarks/nlu.py --accuracy-only``.

- the sample plans on every held-out set (set 1, set 2, the check sets, the FAQ set), next to the
  figures of the previous run (kept as ``typed_before``);
- the everyday-intent library alone (every library intent its own class) on its held-out sets
  tests/dialogue/everyday_heldout_{zh,en}.tsv;
- the two plans written as a business would (dialplans/examples/dental_recall_zh.yaml,
  dialplans/examples/broadband_renewal_en.yaml) on their 40-line held-out sets, written before their examples;
- the phrases issue 19 reported, on the sample plans.
Timing fields of nlu.json are those of the last full run.
"""

from __future__ import annotations

import json
from pathlib import Path

from voicebot.dialogue.everyday import library_plan
from voicebot.dialogue.nlu_evaluate import DeployedLabeler, read_tsv
from voicebot.dialogue.plan import load_dialplan
from voicebot.dialogue.plan_traps import is_question

ROOT = Path(__file__).resolve().parents[1]
NEW_PLANS = {"dental_recall_zh": ("dialplans/examples/dental_recall_zh.yaml", "tests/dialogue/dental_recall_heldout_zh.tsv"),
             "broadband_renewal_en": ("dialplans/examples/broadband_renewal_en.yaml", "tests/dialogue/broadband_renewal_heldout_en.tsv")}
ISSUE_PHRASES = {"zh": [("喂？哪位啊", "ask_who_is_calling"), ("再说吧", "busy_call_later"), ("我已经有了", "not_interested")],
                 "en": [("hello? who's this?", "ask_who_is_calling"), ("mm-hm", "affirm"), ("I already have one", "not_interested")]}


def sample_plan(lang: str, settings, bench_mod) -> dict:
    plan = load_dialplan(str(bench_mod.plan_path(lang)))
    labeler = DeployedLabeler(plan, settings)
    seen = bench_mod.training_texts(plan)
    data = bench_mod.sets(lang, plan)
    data["check"] = read_tsv(ROOT / f"tests/dialogue/check_{lang}.tsv", set(plan.examples))
    typed = {name: [labeler.label(t) for t, _ in rows] for name, rows in data.items()}
    out = {name: bench_mod.intent_figures(data[name], typed[name], seen, plan.locale, name == "heldout1")
           for name in ("heldout1", "heldout2", "check")}
    out["faq"] = bench_mod.faq_figures(data["faq"], typed["faq"])
    # Set 2 labels a few "hello? who's this" lines greet; issue 19 says they are who-is-calling.
    # Counted both ways (which lines: the lint's question test, not a reading of the set).
    rows = data["heldout2"]
    relabel = [(t, "ask_who_is_calling" if g == "greet" and is_question(t, plan.locale) else g) for t, g in rows]
    out["heldout2"]["top1_who_is_this_as_ask_who_is_calling"] = round(
        sum(g == p for (_, g), p in zip(relabel, typed["heldout2"])) / len(rows), 4)
    out["heldout2"]["relabelled_lines"] = [t for (t, g), (_, g2) in zip(rows, relabel) if g != g2]
    out["issue19_phrases"] = [[t, g, labeler.label(t)] for t, g in ISSUE_PHRASES[lang]]
    out["examples"] = labeler.nlu.report.examples
    return out


def everyday(settings) -> dict:
    out = {}
    for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
        plan = library_plan(locale)
        rows = read_tsv(ROOT / f"tests/dialogue/everyday_heldout_{lang}.tsv", set(plan.examples))
        labeler = DeployedLabeler(plan, settings)
        pred = [labeler.label(t) for t, _ in rows]
        fig = _figures(rows, pred)
        fig["examples"] = sum(len(v) for v in plan.examples.values())
        out[lang] = fig
    return out


def new_plans(settings) -> dict:
    out = {}
    for name, (plan_file, test_file) in NEW_PLANS.items():
        plan = load_dialplan(str(ROOT / plan_file))
        rows = read_tsv(ROOT / test_file, set(plan.examples))
        labeler = DeployedLabeler(plan, settings)
        fig = _figures(rows, [labeler.label(t) for t, _ in rows])
        own = {n: len(i.examples) - sum(o is not None for o in plan.inheritance.origins.get(n, []))
               for n, i in plan.spec.intents.items()}
        fig["domain_intents"] = {n: k for n, k in own.items() if k and n not in plan.inheritance.intents}
        out[name] = fig
    return out


def _figures(rows, pred) -> dict:
    from voicebot.dialogue.nlu_evaluate import score

    r = score([(t, g, p) for (t, g), p in zip(rows, pred)], "test file")
    return {"n": r.n, "top1": r.accuracy, "in_scope_top1": r.in_scope_accuracy, "oos_false_accept": r.oos_false_accept,
            "oos_false_reject": r.oos_false_reject, "errors": [list(e) for e in r.errors]}


def accuracy_only(settings, bench_mod, results_file: Path) -> dict:
    old = json.loads(results_file.read_text(encoding="utf-8")) if results_file.is_file() else {"plans": {}}
    for lang in ("zh", "en"):
        entry = old["plans"].setdefault(lang, {})
        if "typed" in entry and "typed_before" not in entry:
            entry["typed_before"] = entry["typed"]  # the figures before the everyday library (issue 19)
        entry["typed"] = sample_plan(lang, settings, bench_mod)
        entry["timing_note"] = "timing fields from the last full run of benchmarks/nlu.py"
    old["everyday_library"] = everyday(settings)
    old["new_plans"] = new_plans(settings)
    results_file.write_text(json.dumps(old, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return old
