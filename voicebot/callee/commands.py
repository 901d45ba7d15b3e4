"""``voicebot callee``: the simulated customer (or agent) phone."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from voicebot.callee.persona import Persona
from voicebot.callee.simulator import CalleeSimulator
from voicebot.config import Settings

PERSONA_DIR = Path(__file__).parent / "personas"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("callee", help="simulated caller/callee that plays a persona against the bot")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--call", metavar="URI", help="place a call to this URI")
    mode.add_argument("--answer", action="store_true", help="wait for a call and answer it")
    p.add_argument("--persona", required=True, help=f"persona YAML, or a built-in name: {builtin_personas()}")
    p.add_argument("--port", type=int, default=5080, help="this phone's SIP port")
    p.add_argument("--rtp-port", type=int, default=44000)
    p.add_argument("--codecs", nargs="+", help="codec preference, e.g. PCMA/8000 G722/16000")
    p.add_argument("--report", help="write the JSON report here (default: stdout)")
    p.add_argument("--record-dir", default=None, help="record each leg under this directory")
    p.add_argument("--wait", type=float, default=60.0, help="--answer: seconds to wait for the call")
    p.add_argument("--timeout", type=float, default=180.0, help="give up on the conversation after this long")
    p.set_defaults(func=cmd_callee)


def builtin_personas() -> list[str]:
    return sorted(p.stem for p in PERSONA_DIR.glob("*.yaml"))


def resolve_persona(name_or_path: str) -> Persona:
    path = Path(name_or_path)
    if not path.exists() and (PERSONA_DIR / f"{name_or_path}.yaml").exists():
        path = PERSONA_DIR / f"{name_or_path}.yaml"
    return Persona.load(path)


def persona_renderer(persona: Persona, rate: int):
    from voicebot.tts.voices import load_voice
    from voicebot.audio.pcm import resample

    voice = load_voice(persona.voice, **persona.voice_options)
    return lambda text: resample(voice.synthesize(text), voice.sample_rate, rate)


def cmd_callee(args: argparse.Namespace, settings: Settings) -> int:
    persona = resolve_persona(args.persona)
    settings.sip.port = args.port
    settings.sip.rtp_port = args.rtp_port
    settings.sip.transports = ["udp", "tcp"]
    if args.codecs:
        settings.sip.codecs = args.codecs
    sim = CalleeSimulator(settings, persona, Path(args.record_dir) if args.record_dir else None,
                          persona_renderer(persona, settings.media.clock_rate))
    report = sim.place(args.call, args.timeout) if args.call else sim.answer(args.wait, args.timeout)
    text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0 if not report.error else 1
