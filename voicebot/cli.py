"""``voicebot`` command line. Each concern registers its own sub-commands in ``<concern>/commands.py``."""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import sys

from voicebot.config import ConfigError, load_settings
from voicebot.engine_registry import EngineModuleError
from voicebot.errors import VoicebotError
from voicebot.logs import configure_logging

# Modules exposing ``register(subparsers)``; each sub-command sets ``func(args, settings) -> int``.
COMMAND_MODULES = [
    "voicebot.asr.commands",
    "voicebot.asr.service_commands",
    "voicebot.tts.commands",
    "voicebot.session.commands",
    "voicebot.recording.commands",
    "voicebot.callee.commands",
    "voicebot.dialogue.commands",
    "voicebot.dialogue.rasa_commands",
    "voicebot.dialogue.chat_commands",
    "voicebot.emotion.commands",
    "voicebot.campaign.commands",
    "voicebot.campaign.dnc_commands",
    "voicebot.supervisor.commands",
    "voicebot.supervisor.phone_commands",
    "voicebot.ops.commands",
    "voicebot.ops.capacity_commands",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voicebot", description="Telephony voice-agent server")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default: config)")
    parser.add_argument("--allow-ephemeral-redis", action="store_true",
                        help="accept a Redis with neither AOF nor RDB (a restart loses campaigns and the DNC list)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # concern not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # A crash inside pjsua2/pjmedia (C) must leave the Python stacks of every thread in the log.
    try:
        faulthandler.enable(all_threads=True)
    except (ValueError, OSError, AttributeError):  # stderr without a file descriptor (captured, embedded)
        pass
    try:
        parser = build_parser()  # the engine choices import the deployment's engine modules
    except EngineModuleError as exc:
        print(f"voicebot: configuration error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except (ConfigError, ValueError) as exc:
        print(f"voicebot: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.allow_ephemeral_redis:
        settings.redis.allow_ephemeral = True
    configure_logging(args.log_level or settings.logging.level, settings.logging.json_output)
    try:
        return int(args.func(args, settings) or 0)
    except VoicebotError as exc:
        print(f"voicebot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
