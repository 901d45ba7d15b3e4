"""Typed intent accuracy on the development sets only (tuned on; never a held-out set): the sample
plans on tests/dialogue/dev_{zh,en}.tsv and the two business-written plans on
tests/dialogue/dev_dental_zh.tsv / dev_broadband_en.tsv, through the deployed pipeline (classifier,
then the FAQ). Errors are sorted into the buckets that say what to fix:

- rejected: an in-scope line turned away as out of scope (calibration, or too few examples);
- confused: an in-scope line taken as another intent (overlap between intents);
- accepted: an out-of-scope line taken as an intent (calibration too loose).

Usage: .venv/bin/python benchmarks/nlu_dev.py [--errors] [--only NAME]   (about a minute, warm cache)
Writes benchmarks/results/nlu_dev.json (dev errors included: they are tuned on anyway).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from voicebot.config import load_settings
from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu_evaluate import DeployedLabeler, read_tsv, score
from voicebot.dialogue.plan import load_dialplan

ROOT = Path(__file__).resolve().parents[1]
# name -> (plan, dev set)
DEV_SETS = {
    "sample_zh": ("dialplans/outbound_marketing_zh.yaml", "tests/dialogue/dev_zh.tsv"),
    "sample_en": ("dialplans/outbound_marketing_en.yaml", "tests/dialogue/dev_en.tsv"),
    "dental_zh": ("dialplans/examples/dental_recall_zh.yaml", "tests/dialogue/dev_dental_zh.tsv"),
    "broadband_en": ("dialplans/examples/broadband_renewal_en.yaml", "tests/dialogue/dev_broadband_en.tsv"),
    # off-topic lines only: how many the calibration lets through as intents
    "offtopic_zh": ("dialplans/outbound_marketing_zh.yaml", "tests/dialogue/dev_offtopic_zh.tsv"),
    "offtopic_en": ("dialplans/outbound_marketing_en.yaml", "tests/dialogue/dev_offtopic_en.tsv"),
    "offtopic_broadband_en": ("dialplans/examples/broadband_renewal_en.yaml", "tests/dialogue/dev_offtopic_en.tsv"),
    "offtopic_dental_zh": ("dialplans/examples/dental_recall_zh.yaml", "tests/dialogue/dev_offtopic_zh.tsv"),
}


def bucket(gold: str, predicted: str) -> str:
    if gold == OUT_OF_SCOPE:
        return "accepted"
    return "rejected" if predicted == OUT_OF_SCOPE else "confused"


def run(name: str, settings) -> dict:
    plan_file, dev_file = DEV_SETS[name]
    plan = load_dialplan(str(ROOT / plan_file))
    faq_ids = {e.id for e in plan.faq.spec.entries} if plan.faq is not None else set()
    rows = read_tsv(ROOT / dev_file, set(plan.examples) | {f"faq:{i}" for i in faq_ids})
    t0 = time.perf_counter()
    labeler = DeployedLabeler(plan, settings)
    train_s = time.perf_counter() - t0
    pred, ms = [], []
    for text, _ in rows:
        t1 = time.perf_counter()
        pred.append(labeler.label(text))
        ms.append((time.perf_counter() - t1) * 1000)
    r = score([(t, g, p) for (t, g), p in zip(rows, pred)], "dev")
    buckets = {"rejected": 0, "confused": 0, "accepted": 0}
    for _, g, p in r.errors:
        buckets[bucket(g, p)] += 1
    th = labeler.nlu.thresholds
    return {"n": r.n, "top1": r.accuracy, "in_scope_top1": r.in_scope_accuracy,
            "oos_false_accept": r.oos_false_accept, "oos_false_reject": r.oos_false_reject,
            "error_buckets": buckets, "examples": labeler.nlu.report.examples,
            "thresholds": [th.min_probability, th.min_similarity, th.sure_probability],
            "train_s": round(train_s, 2), "label_ms_p50": round(float(np.percentile(ms, 50)), 2),
            "label_ms_p95": round(float(np.percentile(ms, 95)), 2),
            "errors": [[t, g, p, bucket(g, p)] for t, g, p in r.errors]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--only", choices=list(DEV_SETS))
    args = ap.parse_args()
    settings = load_settings()
    names = [args.only] if args.only else list(DEV_SETS)
    out_file = ROOT / "benchmarks/results/nlu_dev.json"
    out = json.loads(out_file.read_text(encoding="utf-8")) if out_file.is_file() else {}
    for name in names:
        r = out[name] = run(name, settings)
        print(f"{name}: top-1 {r['top1']:.1%} of {r['n']}, in-scope {r['in_scope_top1']:.1%}, "
              f"OOS false-accept {r['oos_false_accept']:.1%}, false-reject {r['oos_false_reject']:.1%}, "
              f"errors {r['error_buckets']}, thresholds {r['thresholds']}, label p50 {r['label_ms_p50']} ms")
        if args.errors:
            for t, g, p, b in r["errors"]:
                print(f"    [{b}] {t} | {g} -> {p}")
    out_file.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
