"""Which language a campaign command speaks, and its errors in that language.

Chinese when the campaign's locale is zh (or the command creates a zh campaign), or when the
shell's LANG is zh; the words come from the one table in ``cli_messages``.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from voicebot.campaign.cli_messages import error_text, is_zh, msg
from voicebot.errors import VoicebotError

Command = Callable[[argparse.Namespace, object], int]


def campaign_locale(args: argparse.Namespace, settings: object) -> str | None:
    """The locale the command is for: --locale on create, else the stored campaign's, else None."""
    if getattr(args, "locale", None):
        return args.locale
    name = getattr(args, "name", None)
    if not name:
        return None
    from voicebot.store.keys import CampaignKeys
    from voicebot.store.redis_server import connect_redis

    try:
        return connect_redis(settings).hget(CampaignKeys(name).meta, "locale")  # type: ignore[arg-type]
    except Exception:  # an unreachable store is the command's own error to report, in the shell's language
        return None


def localised(func: Command) -> Command:
    """Runs a command with ``args.zh`` set, and prints its VoicebotError in the same language."""

    @functools.wraps(func)
    def run(args: argparse.Namespace, settings: object) -> int:
        args.zh = is_zh(campaign_locale(args, settings))
        try:
            return func(args, settings)
        except VoicebotError as exc:
            print(msg("error", args.zh, text=error_text(exc, args.zh)), file=sys.stderr)
            return 1

    return run


def localise_all(parser: argparse.ArgumentParser) -> None:
    """Wraps every sub-command's ``func`` below ``parser`` (each registered once, by its module)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                func = sub.get_default("func")
                if func is not None and not hasattr(func, "__wrapped__"):
                    sub.set_defaults(func=localised(func))
                localise_all(sub)


def tell(key: str, zh: bool, **values: object) -> None:
    """One line for the person at the terminal, on stderr: stdout keeps the JSON scripts read."""
    print(msg(key, zh, **values), file=sys.stderr)
