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


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    days = settings.recording.retention_days if args.days is None else args.days
    if days < 0:
        print("voicebot: --days must be 0 (keep everything) or more")
        return 2
    report = purge_expired(settings.paths.recordings_dir, days, dry_run=args.dry_run)
    print(json.dumps({"dry_run": args.dry_run, "retention_days": days, **report.to_dict(),
                      "files": report.deleted_files}, ensure_ascii=False, indent=1))
    return 1 if report.errors else 0
