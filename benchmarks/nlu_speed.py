"""How long the embedded intent classifier takes to train on a dial plan, and one parse with four
threads parsing at once (the way a worker's calls share one classifier).

    PYTHONPATH=. .venv/bin/python benchmarks/nlu_speed.py [--repeat N] [--parses N]

Writes benchmarks/results/nlu_speed.json. These figures were assertions of tests/dialogue/test_nlu.py
(training < 1.5 s, parse < 20 ms); on the shared machine they failed whenever it was busy, so they
are measured here, with the machine's load beside them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path

from machine_state import machine

from voicebot.dialogue.nlu.embedded import EmbeddedIntentClassifier
from voicebot.dialogue.plan import load_dialplan

ROOT = Path(__file__).resolve().parent.parent
PLANS = {"en": ROOT / "dialplans/outbound_marketing_en.yaml", "zh": ROOT / "dialplans/outbound_marketing_zh.yaml"}
PROBES = {"en": "I would like to buy one", "zh": "我想买一台"}
THREADS = 4


def parse_ms_with_threads(clf: EmbeddedIntentClassifier, text: str, parses_per_thread: int) -> float:
    """Wall time per parse while THREADS threads parse concurrently."""
    done: list[str] = []

    def work() -> None:
        for _ in range(parses_per_thread):
            done.append(clf.parse(text).intent)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (time.perf_counter() - t0) * 1000 / len(done)


def bench(lang: str, repeat: int, parses_per_thread: int) -> dict:
    plan = load_dialplan(str(PLANS[lang]))
    train_s, parse_ms = [], []
    for _ in range(repeat):
        clf = EmbeddedIntentClassifier(plan.examples, plan.locale, 0.35, plan.out_of_scope_examples)
        train_s.append(clf.report.seconds)
        parse_ms.append(parse_ms_with_threads(clf, PROBES[lang], parses_per_thread))
    return {"examples": clf.report.examples, "intents": clf.report.intents,
            "train_s_median": round(statistics.median(train_s), 3), "train_s_max": round(max(train_s), 3),
            "parse_ms_median": round(statistics.median(parse_ms), 2), "parse_ms_max": round(max(parse_ms), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="trainings per plan (each followed by a parse run)")
    ap.add_argument("--parses", type=int, default=50, help="parses per thread in each parse run")
    ap.add_argument("--no-write", action="store_true", help="print only (a quick check under load)")
    args = ap.parse_args()
    out = {lang: bench(lang, args.repeat, args.parses) for lang in PLANS}
    out.update({"threads": THREADS, "parses_per_thread": args.parses, "repeat": args.repeat, "machine": machine()})
    print(json.dumps(out, indent=1, ensure_ascii=False))
    if not args.no_write:
        Path(__file__).parent.joinpath("results", "nlu_speed.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
