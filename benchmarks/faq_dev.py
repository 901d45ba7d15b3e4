"""FAQ answers on the engineer's own dev sets (tests/dialogue/faq_dev_{lang}.tsv, tuned on; not a
held-out set): right-answer, wrong-answer and outside-declined rates through the deployed pipeline
(classifier, then the FAQ), FAQ calibration and parse+FAQ latency.

Usage: .venv/bin/python benchmarks/faq_dev.py [--errors]
Writes benchmarks/results/faq_dev.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from voicebot.config import load_settings
from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu_evaluate import DeployedLabeler, read_tsv
from voicebot.dialogue.plan import load_dialplan

ROOT = Path(__file__).resolve().parents[1]


def run(lang: str, settings) -> dict:
    plan = load_dialplan(str(ROOT / f"dialplans/outbound_marketing_{lang}.yaml"))
    ids = {e.id for e in plan.faq.spec.entries}
    rows = [(t, f"faq:{g}" if g in ids else OUT_OF_SCOPE)
            for t, g in read_tsv(ROOT / f"tests/dialogue/faq_dev_{lang}.tsv", {"none", *ids})]
    labeler = DeployedLabeler(plan, settings)
    pred, lat = [], []
    for t, _ in rows:
        t0 = time.perf_counter()
        pred.append(labeler.label(t))
        lat.append((time.perf_counter() - t0) * 1000)
    inside = [(t, g, p) for (t, g), p in zip(rows, pred) if g != OUT_OF_SCOPE]
    outside = [(t, g, p) for (t, g), p in zip(rows, pred) if g == OUT_OF_SCOPE]
    return {"in_faq_n": len(inside), "outside_n": len(outside),
            "right_answer_rate": round(sum(g == p for _, g, p in inside) / len(inside), 4),
            "wrong_answer_rate": round(sum(p.startswith("faq:") and g != p for _, g, p in inside) / len(inside), 4),
            "declined_rate": round(sum(not p.startswith("faq:") for *_, p in outside) / len(outside), 4),
            "faq_min_score": round(labeler.faq.retriever.min_score, 3),
            "parse_plus_faq_ms_p50": round(float(np.percentile(lat, 50)), 2),
            "errors": [[t, g, p] for t, g, p in inside + outside
                       if g != p and not (g == OUT_OF_SCOPE and not p.startswith("faq:"))]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    settings = load_settings()
    out = {lang: run(lang, settings) for lang in ("en", "zh")}
    for lang, r in out.items():
        print(f"{lang}: right {r['right_answer_rate']:.1%} of {r['in_faq_n']}, wrong {r['wrong_answer_rate']:.1%}, "
              f"outside declined {r['declined_rate']:.1%} of {r['outside_n']}, min_score {r['faq_min_score']}, "
              f"p50 {r['parse_plus_faq_ms_p50']} ms")
        if args.errors:
            for e in r["errors"]:
                print("   ", " | ".join(e))
    (ROOT / "benchmarks/results").mkdir(exist_ok=True)
    (ROOT / "benchmarks/results/faq_dev.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
