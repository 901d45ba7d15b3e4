"""``voicebot console``: the supervisor web console; ``voicebot console hash-password``: a user's hash."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from voicebot.config import Settings
from voicebot.logs import get_logger

log = get_logger("voicebot.console")

NO_USERS = """voicebot console: no console users are configured, so the console will not start.
Create a password hash with

    voicebot console hash-password

and add the user to voicebot.toml:

    [supervisor.users.alice]
    password_hash = "scrypt$15$8$3$..."
    role = "supervisor"      # or "viewer": masked numbers, no audio

(or set VOICEBOT_SUPERVISOR__USERS='{"alice": {"password_hash": "...", "role": "supervisor"}}')."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("console", help="supervisor web console (live calls, listen, recordings, campaigns)")
    p.add_argument("action", nargs="?", default="serve", choices=["serve", "hash-password"])
    p.add_argument("--host", help="listen address (default: supervisor.console_host)")
    p.add_argument("--port", type=int, help="HTTP port (default: supervisor.console_port)")
    p.add_argument("--password-stdin", action="store_true", help="hash-password: read the password from stdin")
    p.set_defaults(func=cmd_console)


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "hash-password":
        return _hash_password(args.password_stdin, settings.supervisor.scrypt_log_n)
    if not settings.supervisor.users:
        print(NO_USERS, file=sys.stderr)
        return 2
    import uvicorn

    from voicebot.store.redis_server import connect_redis
    from voicebot.supervisor.app import create_app

    host = args.host or settings.supervisor.console_host
    port = args.port or settings.supervisor.console_port
    app = create_app(settings, connect_redis(settings))
    log.info("console_ready", url=f"http://{host}:{port}/", users=len(settings.supervisor.users),
             recordings=str(settings.paths.recordings_dir))
    uvicorn.Server(server_config(app, host, port)).run()
    return 0


def server_config(app: Any, host: str, port: int, grace_s: float = 2) -> Any:
    """How the console is served (tests serve it the same way)."""
    import uvicorn

    # proxy_headers off: uvicorn would take X-Forwarded-For from any 127.0.0.1 peer whatever
    # supervisor.trusted_proxies says (forged audit sources, unthrottled logins); the console reads
    # it itself, from trusted proxies only (client_address.py). Open live streams end with the
    # server: the short graceful timeout does not wait for browsers to hang up.
    return uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=grace_s,
                          ws="websockets-sansio", proxy_headers=False)


def _hash_password(from_stdin: bool, log_n: int) -> int:
    from voicebot.supervisor.auth import hash_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("voicebot console: the passwords differ", file=sys.stderr)
            return 2
    if len(password) < 8:
        print("voicebot console: use at least 8 characters", file=sys.stderr)
        return 2
    print(hash_password(password, log_n=log_n))
    return 0
