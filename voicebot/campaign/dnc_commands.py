"""`voicebot dnc list|add|remove|import|export|audit`: the call center's do-not-call list."""

from __future__ import annotations

import argparse
import csv
import getpass
import json
from datetime import datetime
from pathlib import Path

from voicebot.campaign.cli_language import localise_all, tell
from voicebot.campaign.cli_messages import msg
from voicebot.campaign.import_messages import reason_zh
from voicebot.config import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("dnc", help="do-not-call list (all campaigns): list, add, remove, import, export, audit")
    sub = p.add_subparsers(dest="dnc_command", required=True)

    ls = sub.add_parser("list", help="every number on the list, with since when, why and who")
    ls.set_defaults(func=cmd_list)

    for verb, help_text in (("add", "put numbers on the list"), ("remove", "take numbers off the list")):
        v = sub.add_parser(verb, help=help_text)
        v.add_argument("numbers", nargs="+", help="phone numbers, any common format (138 1234 5678, +86...)")
        v.add_argument("--reason", required=verb == "remove", default="manual",
                       help="why (kept in the audit trail)" + ("; required" if verb == "remove" else ""))
        v.add_argument("--by", default=None, help="who (default: the login name)")
        v.set_defaults(func=cmd_add if verb == "add" else cmd_remove)

    im = sub.add_parser("import", help="add every number of a CSV/XLSX/text file (a phone column, or one per line)")
    im.add_argument("file", type=Path)
    im.add_argument("--reason", default="imported")
    im.add_argument("--by", default=None)
    im.set_defaults(func=cmd_import)

    ex = sub.add_parser("export", help="write the list as CSV (UTF-8 with BOM for Excel, or GBK)")
    ex.add_argument("file", type=Path)
    ex.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "gbk"])
    ex.set_defaults(func=cmd_export)

    au = sub.add_parser("audit", help="every change: when, add/remove, number, reason, by whom / which call")
    au.add_argument("number", nargs="?", default=None)
    au.set_defaults(func=cmd_audit)
    localise_all(p)


def _dnc(settings: Settings):
    from voicebot.campaign.dnc import DoNotCallList
    from voicebot.store.redis_server import connect_redis

    return DoNotCallList(connect_redis(settings))


def _who(args: argparse.Namespace) -> str:
    try:
        return f"user:{args.by or getpass.getuser()}"
    except OSError:
        return "user:unknown"


def _when(ts: float, settings: Settings) -> str:
    """In the campaign's time zone (campaign.default_timezone), not the server's (often UTC)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.campaign.default_timezone)
    return datetime.fromtimestamp(ts, zone).isoformat(timespec="seconds") if ts else ""


def _number(raw: str, zh: bool) -> str | None:
    from voicebot.campaign.phones import PhoneError, normalise_phone

    try:
        return normalise_phone(raw)
    except PhoneError as exc:
        tell("dnc_not_number", zh, raw=raw, reason=reason_zh(str(exc)) if zh else exc)
        return None


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    entries = _dnc(settings).entries()
    for e in entries:
        print(f"{e.number}\t{_when(e.since, settings)}\t{e.reason}\t{e.by}" + (f"\t{e.call_id}" if e.call_id else ""))
    tell("dnc_count", args.zh, n=len(entries))
    return 0


def _change(args: argparse.Namespace, settings: Settings, remove: bool) -> int:
    """add and remove: each valid number changed once, audited with who and why."""
    dnc, by, changed, bad = _dnc(settings), _who(args), 0, 0
    apply = dnc.remove if remove else dnc.add
    for raw in args.numbers:
        number = _number(raw, args.zh)
        if number is None:
            bad += 1
            continue
        changed += apply(number, args.reason, by)
    done, unchanged = ("removed", "not_listed") if remove else ("added", "already_listed")
    tell("dnc_changed", args.zh, done=msg(f"dnc_{done}", args.zh), changed=changed,
         unchanged=len(args.numbers) - changed - bad, unchanged_word=msg("dnc_not_listed" if remove else "dnc_already",
                                                                          args.zh), bad=bad)
    print(json.dumps({done: changed, unchanged: len(args.numbers) - changed - bad, "invalid": bad}))
    return 0 if not bad else 1


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    return _change(args, settings, remove=False)


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    return _change(args, settings, remove=True)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.dnc import read_numbers

    numbers, problems = read_numbers(args.file)
    dnc, by = _dnc(settings), _who(args)
    added = sum(dnc.add(n, args.reason, by) for n in numbers)
    for line, raw, reason in problems[:20]:
        tell("dnc_skipped", args.zh, line=line, raw=raw, reason=reason_zh(reason) if args.zh else reason)
    tell("dnc_imported", args.zh, read=len(numbers), added=added, already=len(numbers) - added, skipped=len(problems))
    print(json.dumps({"read": len(numbers), "added": added, "already_listed": len(numbers) - added,
                      "skipped": len(problems)}))
    return 0 if numbers or not problems else 1


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    entries = _dnc(settings).entries()
    with args.file.open("w", newline="", encoding=args.encoding) as fh:
        w = csv.writer(fh)
        w.writerow(["号码 number", "加入时间 since", "原因 reason", "操作人 by", "通话 call"])
        for e in entries:
            w.writerow([e.number, _when(e.since, settings), e.reason, e.by, e.call_id])
    tell("dnc_exported", args.zh, n=len(entries), path=args.file)
    print(json.dumps({"file": str(args.file), "numbers": len(entries)}, ensure_ascii=False))
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    number = _number(args.number, args.zh) if args.number else None
    for e in _dnc(settings).audit(number):
        print(f"{_when(e.at, settings)}\t{e.action}\t{e.number}\t{e.reason}\t{e.by}" + (f"\t{e.call_id}" if e.call_id else ""))
    return 0
