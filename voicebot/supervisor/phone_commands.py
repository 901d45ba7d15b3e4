"""``voicebot supervise``: whisper to a live call or have the bot call a supervisor into it.

Both go through Redis (``redis.url``), where the bot process holding the call picks them up
(voicebot.supervisor.channel). Dialling in by phone needs no command: see docs/supervision.md.
"""

from __future__ import annotations

import argparse
import sys

from voicebot.config import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("supervise", help="whisper to a live call, or have the bot call a supervisor into it")
    actions = p.add_subparsers(dest="supervise_action", required=True)
    a = actions.add_parser("instruct", help='typed whisper to the bot, e.g. "transfer now", "offer the discount", "礼貌结束通话"')
    a.add_argument("call_id")
    a.add_argument("text", nargs="+")
    a.set_defaults(func=cmd_instruct)
    a = actions.add_parser("call", help="the bot calls a supervisor and connects them to a live call")
    a.add_argument("call_id")
    a.add_argument("--to", required=True, metavar="URI", help="the supervisor's SIP URI")
    a.add_argument("--mode", default="listen", choices=["listen", "whisper", "barge"])
    a.set_defaults(func=cmd_call)


def _client(settings: Settings):
    if not settings.redis.url:
        print("voicebot supervise: redis.url is not set; the bot reads console requests from Redis "
              "(set VOICEBOT_REDIS__URL for both the bot and this command)", file=sys.stderr)
        return None
    from voicebot.store.redis_server import connect_redis

    return connect_redis(settings)


def cmd_instruct(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.dialogue.instructions import Order, understand
    from voicebot.supervisor.channel import send_instruction

    text = " ".join(args.text)
    order = understand(text)
    if order is None:  # the same check as the console: the bot would not follow it, so nothing is sent
        print(f"voicebot supervise: not understood, nothing sent: {text!r}; the bot follows "
              f"{', '.join(o.value for o in Order)} (docs/console.md)", file=sys.stderr)
        return 2
    client = _client(settings)
    if client is None:
        return 2
    send_instruction(client, args.call_id, text)
    print(f"sent ({order.value})")
    return 0


def cmd_call(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.supervisor.channel import request_supervisor_call

    client = _client(settings)
    if client is None:
        return 2
    try:
        request_supervisor_call(client, args.call_id, args.to, args.mode)
    except ValueError as exc:
        print(f"voicebot supervise: {exc}", file=sys.stderr)
        return 2
    return 0
