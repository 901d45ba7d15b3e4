"""``voicebot emotion analyze FILE.wav...`` and ``voicebot emotion calibrate MANIFEST.json``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from voicebot.config import Settings
from voicebot.errors import VoicebotError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("emotion", help="prosody/lexical emotion readings of callee audio")
    emo = p.add_subparsers(dest="emotion_command", required=True)

    a = emo.add_parser("analyze", help="one JSON reading per file; the files are one caller's turns, in order")
    a.add_argument("files", nargs="+", type=Path)
    a.add_argument("--text", action="append", default=[],
                   help="transcript of a file's turn (repeat once per file, in order; missing = no words)")  # fmt: skip
    a.add_argument("--no-match-count", type=int, default=0)
    a.add_argument("--features", action="store_true", help="also print the raw prosodic features")
    a.add_argument("--windows", action="store_true", help="also print rolling 1 s readings")
    a.set_defaults(func=cmd_analyze)

    c = emo.add_parser("calibrate", help="fit the prosody model on your own labelled turns")
    c.add_argument("manifest", type=Path,
                   help='JSON list (or {"utterances": [...]}) of {path, speaker, order, label}; '
                   "paths relative to the manifest")  # fmt: skip
    c.add_argument("-o", "--output", type=Path, required=True, help="model JSON to write (set emotion.model_path)")
    c.add_argument("--c", type=float, default=2.0, help="inverse L2 strength of the logistic regression")
    c.set_defaults(func=cmd_calibrate)


def cmd_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.audio.pcm import read_wav
    from voicebot.emotion.detector import EmotionDetector

    if len(args.text) > len(args.files):
        raise VoicebotError(f"{len(args.text)} --text values for {len(args.files)} files")
    detector = EmotionDetector(settings.emotion)
    for i, path in enumerate(args.files):
        if not path.is_file():
            raise VoicebotError(f"{path}: no such file")
        pcm, rate = read_wav(path)
        text = args.text[i] if i < len(args.text) else ""
        reading = detector.analyze_turn(pcm, rate, text=text, no_match_count=args.no_match_count)
        row: dict = {"file": str(path), "label": reading.label, "confidence": reading.confidence,
                     "turn_index": reading.turn_index, "evidence": reading.evidence}  # fmt: skip
        if args.features and detector.last_features is not None:
            row["features"] = detector.last_features.as_dict()
        if args.windows:
            row["windows"] = [{"start_s": t, "label": r.label, "confidence": r.confidence}
                              for t, r in detector.windows(pcm, rate)]  # fmt: skip
        print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.emotion.calibrate import calibrate
    from voicebot.emotion.classifier import CLASSES

    data = json.loads(args.manifest.read_text(encoding="utf-8"))
    rows = data["utterances"] if isinstance(data, dict) else data
    for row in rows:
        if row.get("label") not in CLASSES:
            raise VoicebotError(f"{row.get('path')}: label must be one of {CLASSES}, not {row.get('label')!r}")
        row["path"] = str((args.manifest.parent / row["path"]).resolve())
    try:
        model = calibrate(rows, settings.emotion, c=args.c, note=f"fitted on {len(rows)} turns from {args.manifest.name}")
    except ValueError as exc:
        raise VoicebotError(str(exc)) from None
    model.save(args.output)
    print(f"{args.output}: prosody model on {len(rows)} turns; set emotion.model_path = \"{args.output}\"")
    return 0
