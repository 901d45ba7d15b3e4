"""``voicebot dialplan check FILE...``, ``voicebot nlu parse --dialplan D``, ``nlu evaluate`` and ``nlu hear``."""

from __future__ import annotations

import argparse
import json
import sys
import time

from voicebot.config import Settings
from voicebot.engine_registry import NLU_ENGINES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dialplan", help="dialplan tools")
    dsub = p.add_subparsers(dest="dialplan_command", required=True)
    c = dsub.add_parser("check", help="validate dialplan files: prints file:line: reason for each problem")
    c.add_argument("files", nargs="+")
    c.add_argument("--no-lint", action="store_true", help="schema and references only (no training-data lint)")
    c.add_argument("--strict", action="store_true", help="exit 1 on lint warnings too")
    c.set_defaults(func=cmd_check)

    p = sub.add_parser("nlu", help="intent recognition tools")
    nsub = p.add_subparsers(dest="nlu_command", required=True)
    c = nsub.add_parser("parse", help="one text a line on stdin -> one JSON object a line {text, intent, confidence}")
    c.add_argument("--dialplan", required=True, help="dialplan file (its intents and examples)")
    c.add_argument("--engine", choices=NLU_ENGINES.names(), help="a registered NLU engine (default: dialogue.engine)")
    c.add_argument("--ranking", action="store_true", help="also print the top intents")
    c.set_defaults(func=cmd_parse)
    c = nsub.add_parser("evaluate", help="per-intent precision/recall, confusion matrix, out-of-scope rates")
    c.add_argument("--dialplan", required=True, help="dialplan file")
    c.add_argument("--test", help="TSV of text<TAB>intent (or intent<TAB>text); none = leave-one-out over the examples")
    c.add_argument("--json", help="also write the figures to this JSON file")
    c.set_defaults(func=cmd_evaluate)
    c = nsub.add_parser("hear", help="recordings -> transcript, intent and confidences, as a call at STATE hears them")
    c.add_argument("--dialplan", required=True, help="dialplan file")
    c.add_argument("--state", required=True, help="a state of the plan, or 'survey' (the satisfaction question)")
    c.add_argument("--json", action="store_true", help="one JSON object a recording")
    c.add_argument("wavs", nargs="+", help="WAV files (any rate; what the bot heard)")
    c.set_defaults(func=cmd_hear)


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
        warnings = 0
        if not args.no_lint:
            from voicebot.dialogue.nlu import make_intent_classifier, plan_encoder
            from voicebot.dialogue.nlu.classifier_cache import classifier_cache
            from voicebot.dialogue.nlu.lint import lint_plan
            from voicebot.dialogue.plan_traps import lint_traps

            findings = lint_plan(plan, plan_encoder(settings), classifier_cache(settings.paths.cache_dir))
            findings += lint_traps(plan, make_intent_classifier(plan, settings).parse)
            for finding in sorted(findings, key=lambda f: (f.file, f.line)):
                print(str(finding), file=sys.stderr)
                if finding.severity == "error":
                    status = 1
                else:
                    warnings += 1
            if args.strict and warnings:
                status = 1
        examples = sum(len(v) for v in plan.examples.values())
        faq = f", FAQ {len(plan.faq.spec.entries)} entries" if plan.faq is not None else ""
        print(f"{f}: ok ({spec.name}, {spec.locale}, {len(spec.states)} states, {len(spec.intents)} intents, "
              f"{examples} examples{faq}, {len(spec.segments)} segment strategies, "
              f"{sum(len(seg.variants) for seg in spec.segments.values())} script variants, {warnings} lint warnings)")
        inh = plan.inheritance
        if inh.source:
            excluded = f"; excluded: {', '.join(inh.excluded)}" if inh.excluded else ""
            print(f"  inherits the everyday intents of {inh.source}{excluded} "
                  f"({inh.dropped} library examples left out: the plan labels the same text itself):")
            for line in inh.summary():
                print(f"    {line}")
        else:
            print("  inherits nothing (everyday.enabled: false, or no library for the locale)")
    return status


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.nlu_evaluate import evaluate_plan, format_report, read_tsv
    from voicebot.dialogue.plan import DialplanError, load_dialplan

    try:
        plan = load_dialplan(args.dialplan)
    except DialplanError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    rows = read_tsv(args.test, set(plan.examples)) if args.test else None
    report = evaluate_plan(plan, settings, rows)
    print(format_report(report))
    if args.json:
        from pathlib import Path

        Path(args.json).write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


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
    # Trained, or read back from the classifier cache when the plan is unchanged.
    print(f"classifier ready in {time.perf_counter() - t0:.3f} s", file=sys.stderr)
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


def cmd_hear(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from voicebot.asr import load_recognizer
    from voicebot.audio.pcm import read_wav
    from voicebot.dialogue.factory import PlanDialogueFactory
    from voicebot.dialogue.hearing import hear_audio
    from voicebot.dialogue.plan import DialplanError
    from voicebot.locales import whisper_language

    missing = [w for w in args.wavs if not Path(w).is_file()]
    if missing:
        print(f"no such recording: {', '.join(missing)}", file=sys.stderr)
        return 2
    settings.dialogue.plan = args.dialplan
    try:
        factory = PlanDialogueFactory(settings)
    except DialplanError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    locale = factory.plans[0].plan.locale
    recognizer = load_recognizer(settings)
    closed_set = settings.asr.closed_set
    for wav in args.wavs:
        try:
            pcm, _ = read_wav(wav, 16000)
            heard = hear_audio(recognizer, factory, locale, args.state, pcm, whisper_language(locale), closed_set,
                               settings.asr.closed_set_fallback)
        except ValueError as exc:
            print(f"{wav}: {exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps({"wav": wav, **heard.as_dict()}, ensure_ascii=False), flush=True)
        else:
            taken = f" -> taken as {heard.taken_as!r}" if heard.taken_as else ""
            if heard.free_transcript:
                taken = f" (free decode {heard.free_transcript!r}, scored against the expected answers){taken}"
            flags = "".join([" [asked back]" if heard.asked_back else "", " [closes customer]" if heard.closed_customer else "",
                             " [callback]" if heard.booked_callback else ""])
            print(f"{wav}: heard {heard.transcript!r} (asr {heard.asr_confidence:.2f}){taken} => {heard.label} "
                  f"({heard.intent_confidence:.2f}){flags}", flush=True)
    return 0
