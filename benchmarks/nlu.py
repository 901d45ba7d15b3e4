"""Embedded intent recognition: load + train time, parse latency and held-out accuracy per sample plan.

For each of dialplans/outbound_marketing_{en,zh}.yaml: dialplan load/validate time, classifier
training time (median of several fits), parse latency p50/p95 over the held-out utterances
(tests/dialogue/heldout_{en,zh}.tsv, repeated), and top-1 accuracy on them.

Usage: .venv/bin/python benchmarks/nlu.py [--fits 5] [--repeat 20]
Writes benchmarks/results/nlu.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from voicebot.dialogue.nlu.embedded import EmbeddedIntentClassifier
from voicebot.dialogue.plan import load_dialplan

ROOT = Path(__file__).resolve().parents[1]


def heldout(lang: str) -> list[tuple[str, str]]:
    rows = []
    for line in (ROOT / f"tests/dialogue/heldout_{lang}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, text = line.split("\t")
            rows.append((intent, text))
    return rows


def bench(lang: str, fits: int, repeat: int) -> dict:
    path = ROOT / f"dialplans/outbound_marketing_{lang}.yaml"
    t0 = time.perf_counter()
    plan = load_dialplan(str(path))
    load_s = time.perf_counter() - t0
    threshold = plan.spec.nlu.threshold or 0.45
    train_s = []
    clf = None
    for _ in range(fits):
        t0 = time.perf_counter()
        clf = EmbeddedIntentClassifier(plan.examples, plan.locale, threshold, plan.out_of_scope_examples)
        train_s.append(time.perf_counter() - t0)
    rows = heldout(lang)
    correct = sum(clf.parse(text).intent == want for want, text in rows)
    lat = []
    for _ in range(repeat):
        for _, text in rows:
            t0 = time.perf_counter()
            clf.parse(text)
            lat.append((time.perf_counter() - t0) * 1000)
    return {
        "plan": plan.name, "examples": clf.report.examples, "intents": clf.report.intents,
        "load_validate_s": round(load_s, 3), "train_s_median": round(statistics.median(train_s), 3),
        "train_s_max": round(max(train_s), 3), "parse_ms_p50": round(float(np.percentile(lat, 50)), 3),
        "parse_ms_p95": round(float(np.percentile(lat, 95)), 3), "heldout": len(rows),
        "heldout_top1": round(correct / len(rows), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fits", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    results = {"machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
               "plans": {lang: bench(lang, args.fits, args.repeat) for lang in ("en", "zh")}}
    for lang, r in results["plans"].items():
        print(f"{lang}: load {r['load_validate_s']} s, train {r['train_s_median']} s (max {r['train_s_max']}), "
              f"parse p50 {r['parse_ms_p50']} ms p95 {r['parse_ms_p95']} ms, "
              f"held-out top-1 {r['heldout_top1']:.1%} of {r['heldout']}")
    out = ROOT / "benchmarks/results/nlu.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
