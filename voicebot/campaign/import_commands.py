"""`voicebot campaign import` and `campaign segments`: what the import read, and who is in which segment."""

from __future__ import annotations

import argparse
import json
from typing import Any

from voicebot.campaign.cli_messages import msg, row_issue
from voicebot.campaign.import_messages import HOW_ZH, reason_zh
from voicebot.config import Settings


def _campaign(settings: Settings, name: str):
    from voicebot.campaign.campaign import Campaign
    from voicebot.store.redis_server import connect_redis

    return Campaign(connect_redis(settings), name)


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_segments(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.clock import SystemClock

    zh = getattr(args, "zh", False)
    campaign = _campaign(settings, args.name).require()
    if args.rules:
        campaign.set_segment_rules(str(args.rules))
    summary = campaign.segment_summary(SystemClock(), settings.campaign, args.examples)
    print(msg("segments_head", zh, n=summary["customers"], rules=summary["rules"]))
    for seg, info in summary["segments"].items():
        share = info["count"] / summary["customers"] if summary["customers"] else 0.0
        print(msg("segment_line", zh, label=info["label"], seg=seg, count=info["count"], share=share, rule=info["rule"]))
        for ex in info["examples"]:
            print("      " + json.dumps(ex, ensure_ascii=False))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.importer import import_customers, preview, write_issues_csv
    from voicebot.campaign.mapping import load_mapping

    mapping = load_mapping(args.mapping)
    campaign = _campaign(settings, args.name)
    zh = getattr(args, "zh", False)  # the campaign's locale, or LANG for a dry run before it exists
    locale = (campaign.client.hget(campaign.ck.meta, "locale") if campaign.exists() else None) or \
        ("zh-CN" if zh else "en-US")
    if args.dry_run:
        report, first = preview(args.file, mapping, args.sheet)
        _print_preview(report, first, zh)
    else:
        campaign.require()
        report = import_customers(campaign.client, args.file, mapping, campaign=args.name, progress=True,
                                  default_timezone=settings.campaign.default_timezone, sheet=args.sheet)
    more = "" if args.errors_csv else msg("see_errors_csv", zh)
    for error in report.errors[:20]:
        print(row_issue("bad_row", error, zh))
    if len(report.errors) > 20:
        print(msg("more_refused", zh, n=len(report.errors) - 20) + more)
    for warning in report.warnings[:10]:
        print(row_issue("cell_warning", warning, zh))
    if len(report.warnings) > 10:
        print(msg("more_warnings", zh, n=len(report.warnings) - 10) + more)
    if not args.dry_run:
        print(msg("import_done", zh, ok=report.rows_ok, new=report.new_to_campaign,
                  known=max(0, report.new_to_campaign - report.new_customers), bad=report.bad_rows))
    if args.errors_csv:
        write_issues_csv(report, args.errors_csv, args.csv_encoding, locale)
    summary = report.summary()
    if args.dry_run:  # the mapping was printed above
        summary = {k: v for k, v in summary.items() if k not in ("sheets", "new_customers", "updated_customers")}
    _print(summary)
    return 0 if report.rows_ok else 1


def _print_preview(report, first: list[dict[str, Any]], zh: bool = False) -> None:
    for sheet in report.sheets:
        title = msg("sheet", zh, name=sheet["sheet"]).strip() if sheet["sheet"] else msg("file", zh)
        print(msg("sheet_head", zh, title=title, line=sheet["header_line"], rows=sheet["rows"])
              + (msg("sheet_encoding", zh, encoding=sheet["encoding"]) if sheet["encoding"] else "")
              + (msg("sheet_orders", zh) if sheet["one_row_per_order"] else ""))
        for note in sheet["skipped_above_header"]:
            print(f"  {reason_zh(note) if zh else note}")
        for fld, column in sheet["columns"].items():
            how = sheet["how"][fld]
            print(msg("column_mapped", zh, column=column, field=fld, how=HOW_ZH.get(how, how) if zh else how))
        for column in sheet["unmapped"]:
            print(msg("column_kept", zh, column=column))
    for note in report.skipped:
        print(reason_zh(note) if zh else note)
    print(msg("preview_first", zh, n=len(first)))
    for record in first:
        print("  " + json.dumps(record, ensure_ascii=False, default=str))
    notes = [r["preferred_time"] for r in first if r.get("preferred_time")]
    if notes:
        from voicebot.campaign.freeform import parse_contact_time

        print(msg("notes_read", zh))
        for note in dict.fromkeys(notes):
            print(f"  {note!r} -> {parse_contact_time(note).describe()}")
