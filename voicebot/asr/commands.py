"""``voicebot transcribe FILE...``: the first check a user makes of the ASR model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voicebot.config import Settings
from voicebot.engine_registry import ASR_ENGINES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("transcribe", help="print one transcript a line for each audio file")
    p.add_argument("files", nargs="+", help="WAV/FLAC/OGG files, any sample rate")
    p.add_argument("--language", help="en, zh, ... (default: auto for multilingual models)")
    p.add_argument("--backend", choices=ASR_ENGINES.names(), help="a registered ASR engine (default: asr.backend)")
    p.add_argument("--model", help="whisper: base | tiny.en | DIR; vosk: ko | DIR (other engines: none)")
    p.add_argument("--timing", action="store_true", help="append recognition time and confidence")
    p.set_defaults(func=cmd_transcribe)


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.asr import load_recognizer
    from voicebot.audio.pcm import read_wav

    if args.backend:
        settings.asr.backend = args.backend
    if args.model:
        if settings.asr.backend == "whisper":
            settings.asr.whisper_model = args.model
        elif settings.asr.backend == "vosk":
            settings.asr.vosk_model = args.model
        else:
            print(f"voicebot transcribe: --model is for whisper and vosk; asr.backend={settings.asr.backend!r} "
                  "reads asr.engine_options", file=sys.stderr)
            return 2
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        print(f"voicebot transcribe: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    recognizer = load_recognizer(settings)
    status = 0
    for path in args.files:
        try:
            pcm, _ = read_wav(path, recognizer.sample_rate)
        except RuntimeError as exc:  # soundfile: unreadable format
            print(f"voicebot transcribe: {path}: cannot read audio: {exc}", file=sys.stderr)
            status = 1
            continue
        t = recognizer.transcribe(pcm, args.language)
        extra = f"\t[{t.elapsed_s * 1000:.0f} ms, conf {t.confidence:.2f}]" if args.timing else ""
        print(f"{t.text}{extra}", flush=True)
    return status
