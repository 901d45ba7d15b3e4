"""``voicebot recordings purge``: the retention job (run it daily from cron or a systemd timer)."""

from __future__ import annotations

import argparse
import json

from voicebot.config import Settings
from voicebot.recording.retention import purge_expired


def register(sub: argparse._SubParsersAction) -> None:
    rec = sub.add_parser("recordings", help="recordings and transcripts on disk")
    rec_sub = rec.add_subparsers(dest="recordings_command", required=True)
    purge = rec_sub.add_parser("purge", help="delete recordings older than recording.retention_days")
    purge.add_argument("--days", type=int, default=None, help="override recording.retention_days")
    purge.add_argument("--dry-run", action="store_true", help="list what would go; delete nothing")
    purge.set_defaults(func=cmd_purge)
    tr = sub.add_parser("transcripts", help="the encrypted unmasked transcripts (recording.keep_raw_encrypted)")
    tr_sub = tr.add_subparsers(dest="transcripts_command", required=True)
    keygen = tr_sub.add_parser("keygen", help="print a new key for VOICEBOT_TRANSCRIPT_KEY or recording.raw_key_file")
    keygen.set_defaults(func=cmd_keygen)
    reveal = tr_sub.add_parser("reveal", help="decrypt one call's unmasked transcript (the reveal is logged)")
    reveal.add_argument("call_id")
    reveal.add_argument("--by", required=True, help="who asks, and why: written to the log (not the words)")
    reveal.set_defaults(func=cmd_reveal)


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    days = settings.recording.retention_days if args.days is None else args.days
    if days < 0:
        print("voicebot: --days must be 0 (keep everything) or more")
        return 2
    report = purge_expired(settings.paths.recordings_dir, days, dry_run=args.dry_run)
    trimmed = 0
    if settings.redis.url and not args.dry_run:  # the event stream is a copy of what was said too
        from voicebot.store.events import trim_event_stream
        from voicebot.store.redis_server import connect_redis

        trimmed = trim_event_stream(connect_redis(settings), days)
    print(json.dumps({"dry_run": args.dry_run, "retention_days": days, **report.to_dict(),
                      "events_trimmed": trimmed, "files": report.deleted_files}, ensure_ascii=False, indent=1))
    return 1 if report.errors else 0


def cmd_keygen(args: argparse.Namespace, settings: Settings) -> int:
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode("ascii"))
    return 0


def cmd_reveal(args: argparse.Namespace, settings: Settings) -> int:
    import sys

    from voicebot.errors import VoicebotError
    from voicebot.logs import get_logger
    from voicebot.recording.raw_vault import find_raw, load_key, reveal

    log = get_logger("voicebot.transcripts")
    try:
        path = find_raw(settings.paths.recordings_dir, args.call_id)
        lines = reveal(path, load_key(settings.recording))
    except VoicebotError as exc:
        log.warning("transcript_reveal_failed", call_id=args.call_id, by=args.by, error=str(exc))
        print(f"voicebot transcripts reveal: {exc}", file=sys.stderr)
        return 2
    log.info("transcript_revealed", call_id=args.call_id, by=args.by, lines=len(lines))
    for line in lines:
        print(json.dumps(line, ensure_ascii=False))
    return 0
