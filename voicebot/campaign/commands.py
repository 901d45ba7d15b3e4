"""`voicebot campaign create|hours|plan|start|simulate|pause|resume|status|report` (import and
segments: ``import_commands``). Each says what it did in the campaign's language (``cli_language``)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from voicebot.campaign.cli_language import localise_all, tell
from voicebot.campaign.cli_messages import msg, status_word
from voicebot.campaign.dialer import Dialer
from voicebot.campaign.import_commands import cmd_import, cmd_segments
from voicebot.capacity_rating import check_channels
from voicebot.config import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("campaign", help="outbound campaigns: import, plan, run, report")
    sub = p.add_subparsers(dest="campaign_command", required=True)

    c = sub.add_parser("create", help="create an empty campaign")
    c.add_argument("name")
    c.add_argument("--description", default="")
    c.add_argument("--locale", default="zh-CN", choices=["zh-CN", "en-US"])
    c.add_argument("--segments", type=Path, default=None, help="segment rule file (YAML; default: the seed's six)")
    c.set_defaults(func=cmd_create)

    sg = sub.add_parser("segments", help="customers per segment, with examples; --rules sets the campaign's rule file")
    sg.add_argument("name")
    sg.add_argument("--rules", type=Path, default=None, help="YAML rule file to check and store for this campaign")
    sg.add_argument("--examples", type=int, default=3)
    sg.set_defaults(func=cmd_segments)

    hr = sub.add_parser("hours", help="change the campaign's calling hours; workers use them from their next call")
    hr.add_argument("name")
    hr.add_argument("--start", default=None, metavar="HH:MM")
    hr.add_argument("--end", default=None, metavar="HH:MM")
    hr.add_argument("--reset", action="store_true", help="back to the config's campaign.calling_hours_*")
    hr.set_defaults(func=cmd_hours)

    i = sub.add_parser("import", help="import customers from a CSV/XLSX export into a campaign")
    i.add_argument("name")
    i.add_argument("file", type=Path)
    i.add_argument("--mapping", type=Path, default=None,
                   help="YAML/JSON column mapping for what header recognition misses (docs/campaigns.md)")
    i.add_argument("--sheet", default=None, help="read only this sheet of a workbook (default: every sheet)")
    i.add_argument("--dry-run", action="store_true", help="print the detected mapping and the first rows; store nothing")
    i.add_argument("--errors-csv", type=Path, default=None,
                   help="write refused rows and cell warnings (line, column, value, reason, phone, name) here")
    i.add_argument("--csv-encoding", default="utf-8-sig", choices=["utf-8-sig", "gbk"],
                   help="errors CSV encoding: UTF-8 with BOM (default) or GBK for old Excel")
    i.set_defaults(func=cmd_import)

    pl = sub.add_parser("plan", help="profile, segment and plan every customer of the campaign")
    pl.add_argument("name")
    pl.add_argument("--kmeans", type=int, default=0, metavar="K", help="also cluster the feature vectors into K groups")
    pl.set_defaults(func=cmd_plan)

    s = sub.add_parser("start", help="schedule the first calls and run a worker (any number may run at once)")
    s.add_argument("name")
    s.add_argument("--simulate", action="store_true", help="use the simulated dialer (outcomes from the persona field)")
    s.add_argument("--simulated-start", default=None, metavar="ISO",
                   help="with --simulate: run on a simulated clock from this time, jumping over idle periods")
    s.add_argument("--until-done", action="store_true", help="exit when no call is left")
    s.add_argument("--worker-id", default=None)
    s.add_argument("--channels", type=int, default=None, metavar="N",
                   help="calls at once (default: campaign.bot_channels; 1 with --simulated-start); over 4, the "
                        "calls are spread over several bot processes on SIP ports sip.port, sip.port+1, ...")
    s.add_argument("--force", action="store_true",
                   help="run more channels than this machine's rating (voicebot capacity rate)")
    s.add_argument("--no-seed", action="store_true", help=argparse.SUPPRESS)  # children of a multi-process start
    s.set_defaults(func=cmd_start)

    sm = sub.add_parser("simulate", help="run the campaign on the text dialer and a simulated clock, then report")
    sm.add_argument("name")
    sm.add_argument("--start", default=None, metavar="ISO", help="simulated start (default: tomorrow 09:00 local)")
    sm.add_argument("--out", type=Path, default=None, help="report directory (default: reports/<name>-simulated)")
    sm.add_argument("--seed", type=int, default=0)
    sm.set_defaults(func=_cmd_simulate)

    for verb, help_text in (("pause", "stop placing new calls (calls in progress finish)"), ("resume", "resume calling")):
        v = sub.add_parser(verb, help=help_text)
        v.add_argument("name")
        v.set_defaults(func=cmd_pause if verb == "pause" else cmd_resume)

    st = sub.add_parser("status", help="progress, queue and counters as JSON")
    st.add_argument("name")
    st.set_defaults(func=cmd_status)

    r = sub.add_parser("report", help="HTML report with charts, and CSVs")
    r.add_argument("name")
    r.add_argument("--out", type=Path, default=None, help="directory (default: reports/<name>)")
    r.add_argument("--role", default="supervisor", choices=["supervisor", "viewer"],
                   help="viewer: CRM id, name and number masked in calls.csv")
    r.add_argument("--csv-encoding", default="utf-8-sig", choices=["utf-8-sig", "gbk"],
                   help="CSV encoding: UTF-8 with BOM (Excel 2016+, WPS) or GBK (older Chinese Excel)")
    r.set_defaults(func=cmd_report)
    localise_all(p)


def _client(settings: Settings):
    from voicebot.store.redis_server import connect_redis

    return connect_redis(settings)


def _campaign(settings: Settings, name: str):
    from voicebot.campaign.campaign import Campaign

    return Campaign(_client(settings), name)


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.segment_rules import load_rules_file

    if args.segments:
        load_rules_file(args.segments)  # a bad rule file fails before the campaign exists
    campaign = _campaign(settings, args.name)
    campaign.create(args.description, args.locale)
    if args.segments:
        campaign.set_segment_rules(str(args.segments))
    tell("created", args.zh, name=args.name, locale=args.locale)
    _print({"campaign": args.name, "status": "created"})
    return 0


def cmd_hours(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.hours import set_hours

    campaign = _campaign(settings, args.name).require()
    hours = set_hours(campaign.client, campaign.ck, None if args.reset else args.start, None if args.reset else args.end)
    start, end = hours or (settings.campaign.calling_hours_start, settings.campaign.calling_hours_end)
    tell("hours_set", args.zh, name=args.name, start=start, end=end, source="" if hours else msg("hours_from_config", args.zh))
    _print({"campaign": args.name, "calling_hours": f"{start}-{end}", "from": "campaign" if hours else "config"})
    return 0


def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    from collections import Counter

    from voicebot.campaign.clock import SystemClock

    plans = _campaign(settings, args.name).plan(SystemClock(), settings.campaign, kmeans_k=args.kmeans,
                                                scripts=_scripts(settings))
    segments = Counter(p.segment for p in plans)
    tell("planned", args.zh, n=len(plans), segments=msg("list_sep", args.zh).join(
        msg("count_item", args.zh, name=k, n=v) for k, v in segments.most_common()))
    _print({"campaign": args.name, "planned": len(plans), "segments": dict(segments),
            "offers": dict(Counter(p.offer for p in plans))})
    return 0


def default_dialer_factory(settings: Settings, clock: Any) -> Dialer:
    """The real dialer: this process runs a bot and places each job's call through the voice loop."""
    from voicebot.server.dialer import voice_loop_dialer_factory

    return voice_loop_dialer_factory(settings, clock)


# Replaced by the SIP side: dialer_factory(settings, clock) -> Dialer
dialer_factory = default_dialer_factory


def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.clock import FakeClock, SystemClock
    from voicebot.campaign.simulated import SimulatedDialer
    from voicebot.campaign.worker import CampaignWorker

    if _too_many_channels(args, settings):
        return 2
    campaign = _campaign(settings, args.name)
    campaign.require_members()  # before the dialer loads models: a campaign with nobody to call fails fast
    if args.simulated_start and not args.simulate:
        tell("error", args.zh, text=msg("needs_simulate", args.zh))
        return 2
    clock = FakeClock(datetime.fromisoformat(args.simulated_start)) if args.simulated_start else SystemClock()
    requested = args.channels or settings.campaign.bot_channels
    _warn_over_ceiling(args, settings, campaign, requested)
    if not args.simulate and requested > settings.campaign.calls_per_process:
        _prepare(campaign, clock, settings, args.zh)
        return _start_group(args, settings, requested)
    dialer = SimulatedDialer(clock) if args.simulate else dialer_factory(settings, clock)  # fails before any change
    seeded = 0 if args.no_seed else _prepare(campaign, clock, settings, args.zh)
    # One worker per channel, sharing this process's dialer (one bot, many calls at once). A simulated
    # clock is advanced by its worker, so it gets exactly one.
    channels = 1 if isinstance(clock, FakeClock) else max(1, requested)
    base_id = args.worker_id or f"{socket.gethostname()}-{os.getpid()}"
    workers = [CampaignWorker(campaign.client, args.name, dialer, settings.campaign, clock,
                              worker_id=base_id if channels == 1 else f"{base_id}-{i}",
                              agent_wrap_up_s=settings.supervisor.agent_wrap_up_s) for i in range(channels)]
    crashed = _run_channels(campaign, args, workers, advance_clock=isinstance(clock, FakeClock))
    close = getattr(dialer, "close", None)
    if close is not None:
        close()
    total_stats = {k: sum(getattr(w.stats, k) for w in workers)
                   for k in ("dialed", "deferred", "dropped", "paced", "interrupted")}
    total_stats["interrupted_reclaimed"] = total_stats.pop("interrupted")
    tell("started_done", args.zh, dialed=total_stats["dialed"], deferred=total_stats["deferred"], name=args.name,
         status=status_word(campaign.status, args.zh))
    _print({"worker": base_id, "channels": channels, "seeded": seeded, **total_stats, "status": campaign.status,
            **({"crashed": crashed} if crashed else {})})
    return 1 if crashed else 0  # a crashed channel stopped the run early: supervisors must see a failure


def _too_many_channels(args: argparse.Namespace, settings: Settings) -> bool:
    """True (and said) when the channels asked for are more than this machine can carry."""
    if args.simulate or args.no_seed:  # children of a multi-process start: shares of a total checked already
        return False
    refusal = check_channels(settings, args.channels or settings.campaign.bot_channels, args.force, args.zh)
    if refusal is not None:
        tell("error", args.zh, text=refusal)
    return refusal is not None


def _warn_over_ceiling(args: argparse.Namespace, settings: Settings, campaign, requested: int) -> None:
    if args.simulate or args.no_seed:  # a group's children are shares of a total already told
        return
    from voicebot.campaign.controls import ceiling_warning

    warning = ceiling_warning(campaign.client, campaign.ck, settings.campaign, requested, args.zh)
    if warning:
        tell("error", args.zh, text=warning)


def _run_channels(campaign, args: argparse.Namespace, workers: list, advance_clock: bool) -> list[str]:
    """Each worker on its own thread until done, stopped or one crashes; a progress bar meanwhile.
    The ids of crashed workers."""
    from tqdm import tqdm

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    bar = tqdm(total=len(campaign.members()), desc=f"campaign {args.name}", unit="cust")

    def progress() -> None:  # customers in a final state
        while not stop.wait(0.5):
            bar.update(sum(1 for v in _finals(campaign) if v) - bar.n)

    threading.Thread(target=progress, daemon=True).start()
    crashed: list[str] = []

    def work(worker) -> None:
        try:
            worker.run(stop, exit_when_done=args.until_done, advance_clock=advance_clock)
        except Exception:  # one channel's failure must not leave the others running blind
            worker.log.exception("worker_crashed")
            crashed.append(worker.worker_id)
            stop.set()

    threads = [threading.Thread(target=work, args=(w,), name=f"channel-{i}") for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(0.5)
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join()
    stop.set()
    bar.update(sum(1 for v in _finals(campaign) if v) - bar.n)
    bar.close()
    return crashed


def _scripts(settings: Settings):
    from voicebot.campaign.scripts import CampaignScripts

    return CampaignScripts.from_settings(settings)


def _prepare(campaign, clock, settings: Settings, zh: bool = False) -> int:
    """Plans customers imported since the last plan and schedules first attempts; safe to repeat."""
    scripts = _scripts(settings)
    warning = scripts.escalation_warning(settings, zh) if scripts is not None else ""
    if warning:
        print(f"voicebot: {warning}", file=sys.stderr)
    if campaign.status == "created" or campaign.unplanned():
        campaign.plan(clock, settings.campaign, scripts=scripts)
    seeded = campaign.seed(clock, settings.campaign)
    if campaign.status == "done" and not seeded:
        campaign.set_status("running")
    return seeded


def _start_group(args: argparse.Namespace, settings: Settings, channels: int) -> int:
    """More channels than one pjsua2 process holds: one bot process per four calls, one campaign."""
    from voicebot.session.workers import ProcessGroup, child_specs, split_calls

    shares = split_calls(channels, settings.campaign.calls_per_process)
    specs = child_specs(len(shares), settings.sip.port, settings.sip.rtp_port, settings.sip.rtp_port_range,
                        settings.supervisor.metrics_port)
    base_id = args.worker_id or f"{socket.gethostname()}-{os.getpid()}"

    def argv(spec) -> list[str]:
        return ["campaign", "start", args.name, "--channels", str(shares[spec.index]), "--no-seed",
                "--worker-id", f"{base_id}-p{spec.index}", *(["--until-done"] if args.until_done else [])]

    from voicebot.asr.service_commands import group_service

    asr_service = group_service(settings, len(shares))  # one Whisper for the machine (asr.service)
    group = ProcessGroup(argv, specs, restart=False)
    try:
        group.start(ready_timeout_s=0)
        code = group.run()
    finally:
        if asr_service is not None:
            asr_service.stop()
    _print({"worker": base_id, "channels": channels, "processes": len(shares),
            "status": _campaign(settings, args.name).status, "exit_codes": group.exit_codes})
    return code


def _finals(campaign) -> list[str | None]:
    pipe = campaign.client.pipeline(transaction=False)
    for cid in campaign.members():
        pipe.hget(campaign.ck.state(cid), "final")
    return pipe.execute()


def cmd_pause(args: argparse.Namespace, settings: Settings) -> int:
    campaign = _campaign(settings, args.name).require()
    campaign.set_status("paused")
    tell("paused", args.zh, name=args.name)
    _print({"campaign": args.name, "status": "paused"})
    return 0


def cmd_resume(args: argparse.Namespace, settings: Settings) -> int:
    campaign = _campaign(settings, args.name).require()
    campaign.set_status("running")
    tell("resumed", args.zh, name=args.name)
    _print({"campaign": args.name, "status": "running"})
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.kpi import compute, load_results

    campaign = _campaign(settings, args.name).require()
    status = campaign.status_report()
    k = compute(load_results(campaign.client, args.name), settings.campaign)
    status["kpi"] = {n: getattr(k, n) for n in ("connect_rate", "human_rate", "intent_share", "conversion_rate",
                                                 "avg_turns", "cost_per_lead", "cost_vs_manual")}
    tell("status_line", args.zh, name=args.name, status=status_word(status["status"], args.zh),
         customers=status["customers"], calls=status["calls_made"], queued=status["queue"]["scheduled"] + status["queue"]["queued"],
         in_flight=status["in_flight"])
    _print(status)
    return 0


def _cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.simulate import cmd_simulate

    return cmd_simulate(args, settings, _campaign(settings, args.name).client, _print)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from voicebot.campaign.capacity import from_rating
    from voicebot.campaign.report import write_report
    from voicebot.capacity_rating import read_rating

    campaign = _campaign(settings, args.name).require()
    files = write_report(campaign.client, args.name, args.out or Path("reports") / args.name, settings.campaign,
                         role=args.role, csv_encoding=args.csv_encoding, measured=from_rating(read_rating(settings)[0]))
    tell("report_done", args.zh, path=files.html)
    _print({"html": files.html, "calls_csv": files.calls_csv, "kpis_csv": files.kpis_csv, "charts": files.charts})
    return 0
