"""``voicebot rasa export|train|serve|parse``: from a dialplan to a running Rasa server.

    voicebot rasa train --dialplan dialplans/outbound_marketing_zh.yaml -o build/rasa-zh
    voicebot rasa serve build/rasa-zh --port 5005
    VOICEBOT_DIALOGUE__ENGINE=rasa VOICEBOT_DIALOGUE__RASA_URL=http://127.0.0.1:5005 voicebot ...
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path
from typing import Any

from voicebot.config import Settings
from voicebot.errors import VoicebotError


def register(subparsers: argparse._SubParsersAction) -> None:
    rasa = subparsers.add_parser("rasa", help="Rasa as the external NLU engine: export, train, serve, parse")
    sub = rasa.add_subparsers(dest="rasa_command", required=True)

    export = sub.add_parser("export", help="write a Rasa project (config, domain, nlu, rules) from a dialplan")
    export.add_argument("--dialplan", required=True, type=Path, help="dialplan YAML file")
    export.add_argument("-o", "--out", required=True, type=Path, help="project directory to write")
    export.set_defaults(func=_export)

    train = sub.add_parser("train", help="export, then `rasa train` with the .venv-rasa installation")
    train.add_argument("--dialplan", required=True, type=Path, help="dialplan YAML file")
    train.add_argument("-o", "--out", required=True, type=Path, help="project directory (model in OUT/models/)")
    train.set_defaults(func=_train)

    serve = sub.add_parser("serve", help="run a Rasa server (HTTP API + REST webhook) on a trained project")
    serve.add_argument("project", type=Path, help="project directory from `rasa train`, or a model .tar.gz")
    serve.add_argument("--port", type=int, default=5005)
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(func=_serve)

    parse = sub.add_parser("parse", help="classify one utterance with a running Rasa server")
    parse.add_argument("text")
    parse.add_argument("--url", default=None, help="Rasa server (default: dialogue.rasa_url)")
    parse.set_defaults(func=_parse)


def export_dialplan(path: Path, out_dir: Path) -> tuple[str, int]:
    """Export a dialplan's intents (and its out-of-scope negatives) as a Rasa project; (locale, intents)."""
    from voicebot.dialogue.plan import load_dialplan  # imported only when needed
    from voicebot.dialogue.rasa_export import export_rasa_project

    plan: Any = load_dialplan(path)
    export_rasa_project(plan.locale, plan.examples, out_dir,
                        out_of_scope_examples=list(getattr(plan, "out_of_scope_examples", []) or []))
    return plan.locale, len(plan.examples)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    locale, intents = export_dialplan(args.dialplan, args.out)
    print(f"wrote Rasa project for {args.dialplan} ({locale}, {intents} intents) to {args.out}")
    return 0


def _train(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.rasa_runtime import find_rasa, train_model

    rasa_bin = find_rasa(settings.dialogue.rasa_bin)  # before exporting: fail fast if Rasa is not installed
    _export(args, settings)
    model = train_model(rasa_bin, args.out)
    print(f"trained {model}\nserve it with: voicebot rasa serve {args.out} --port 5005")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.rasa_runtime import RasaServer, find_rasa

    model = args.project if args.project.suffix == ".gz" else args.project / "models" / "voicebot.tar.gz"
    if not model.is_file():
        raise VoicebotError(f"no trained model at {model}; run `voicebot rasa train --dialplan FILE -o DIR` first")
    server = RasaServer(find_rasa(settings.dialogue.rasa_bin), model.resolve(), args.port, args.host)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(f"Rasa serving {model} at {server.url} (log: {server.log_path}); "
          f"use it with VOICEBOT_DIALOGUE__ENGINE=rasa VOICEBOT_DIALOGUE__RASA_URL={server.url}", flush=True)
    try:
        while not stop.is_set() and server.process is not None and server.process.poll() is None:
            stop.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    code = server.process.returncode if server.process else 0
    if not stop.is_set() and code not in (0, -signal.SIGTERM, None):
        raise VoicebotError(f"rasa server exited with {code}:\n{server.log_tail()}")
    return 0


def _parse(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.nlu.rasa_client import RasaIntentClassifier

    classifier = RasaIntentClassifier(args.url or settings.dialogue.rasa_url, settings.dialogue.out_of_scope_threshold,
                                      settings.dialogue.rasa_timeout_s)
    result = classifier.parse(args.text)
    print(json.dumps({"intent": result.intent, "confidence": round(result.confidence, 4),
                      "ranking": [[name, round(conf, 4)] for name, conf in result.ranking]}, ensure_ascii=False))
    return 0
