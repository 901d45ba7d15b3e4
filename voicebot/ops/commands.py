"""``voicebot doctor`` and ``voicebot engines``."""

from __future__ import annotations

import argparse

from voicebot.config import Settings
from voicebot.engine_registry import REGISTRIES, EngineListing
from voicebot.ops.doctor import CHECKS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check config, ports, models, Redis and the PBX; say what is wrong and how to fix it")
    p.add_argument("--skip", action="append", default=[], choices=[name for name, _ in CHECKS],
                   help="leave out a check (repeat)")
    p.add_argument("--port", type=int, help="SIP port to check (default: sip.port)")
    p.add_argument("--prepare", action="store_true",
                   help="prepare missing models into paths.models_dir (otherwise the doctor changes nothing on disk)")
    p.set_defaults(func=cmd_doctor)
    e = sub.add_parser("engines", help="list the registered ASR, TTS, dialogue and emotion engines and what each can do")
    e.add_argument("--kind", choices=sorted(REGISTRIES), help="only this kind")
    e.set_defaults(func=cmd_engines)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.logs import configure_logging
    from voicebot.ops.doctor import render, run_doctor

    configure_logging("CRITICAL", settings.logging.json_output)  # the report is the output, not log lines
    if args.port:
        settings.sip.port = args.port
    findings = run_doctor(settings, set(args.skip), prepare=args.prepare)
    print(render(findings), flush=True)
    return 1 if any(not f.ok for f in findings) else 0


def cmd_engines(args: argparse.Namespace, settings: Settings) -> int:
    listing = EngineListing.collect()
    if args.kind:
        listing.kinds = {args.kind: listing.kinds[args.kind]}
    print("\n".join(listing.lines()), flush=True)
    return 0
