"""``voicebot dialplan check FILE...`` and ``voicebot nlu parse --dialplan D``."""

from __future__ import annotations

import argparse
import json
import sys
import time

from voicebot.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dialplan", help="dialplan tools")
    dsub = p.add_subparsers(dest="dialplan_command", required=True)
    c = dsub.add_parser("check", help="validate dialplan files: prints file:line: reason for each problem")
    c.add_argument("files", nargs="+")
    c.set_defaults(func=cmd_check)

    p = sub.add_parser("nlu", help="intent recognition tools")
    nsub = p.add_subparsers(dest="nlu_command", required=True)
    c = nsub.add_parser("parse", help="one text a line on stdin -> one JSON object a line {text, intent, confidence}")
    c.add_argument("--dialplan", required=True, help="dialplan file (its intents and examples)")
    c.add_argument("--engine", choices=["embedded", "rasa"], help="default: dialogue.engine")
    c.add_argument("--ranking", action="store_true", help="also print the top intents")
    c.set_defaults(func=cmd_parse)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.plan import DialplanError, load_dialplan

    status = 0
    for f in args.files:
        try:
            plan = load_dialplan(f)
        except DialplanError as exc:
            print(str(exc), file=sys.stderr)
            status = 1
            continue
        spec = plan.spec
        examples = sum(len(v) for v in plan.examples.values())
        print(f"{f}: ok ({spec.name}, {spec.locale}, {len(spec.states)} states, {len(spec.intents)} intents, "
              f"{examples} examples, {len(spec.segments)} segment strategies, "
              f"{sum(len(seg.variants) for seg in spec.segments.values())} script variants)")
    return status


def cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.nlu import make_intent_classifier
    from voicebot.dialogue.plan import DialplanError, load_dialplan

    if args.engine:
        settings.dialogue.engine = args.engine
    try:
        plan = load_dialplan(args.dialplan)
    except DialplanError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    nlu = make_intent_classifier(plan, settings)
    print(f"trained in {time.perf_counter() - t0:.3f} s", file=sys.stderr)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        r = nlu.parse(text)
        out = {"text": text, "intent": r.intent, "confidence": round(r.confidence, 4)}
        if args.ranking:
            out["ranking"] = [list(x) for x in r.ranking]
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0
