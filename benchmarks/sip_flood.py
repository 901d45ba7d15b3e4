"""An INVITE flood at 20 calls/s for 5 minutes while every channel of the bot is busy.

A PBX trunk (a trusted source, so the per-source rate limit does not apply and the channel limit
is what answers) sends the flood; four long calls hold every channel. Measured: how each flood
INVITE was answered (486 or 503, each with Retry-After, or answered because a channel was free),
INVITEs left unanswered, whether the bot and the four held calls survived, and the bot's RSS,
open file descriptors and threads over the run (flat = no leak per refused INVITE).

    .venv/bin/python benchmarks/sip_flood.py --seconds 300 --rate 20
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from machine_state import machine  # noqa: E402

from voicebot.callee.harness import BotProcess  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SCENARIO = Path(__file__).resolve().parents[1] / "tests" / "sip" / "scenarios" / "uac_full_expect_486_or_503.xml"
BOT_SIP, BOT_RTP = 5170, 31000
HOLD_SIP, FLOOD_SIP = 7300, 7400


def proc_state(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    return {"rss_mb": round(rss_kb / 1024, 1), "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": threads}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--rate", type=float, default=20.0, help="INVITEs per second")
    ap.add_argument("--max-calls", type=int, default=4, help="sip.max_calls; that many calls are held")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vb-flood-"))
    env = {"VOICEBOT_SIP__INBOUND_TRUSTED_SOURCES": '["127.0.0.1"]', "VOICEBOT_SIP__TRANSPORTS": '["udp"]',
           # The held calls send no audio: they must stay up for the whole flood.
           "VOICEBOT_SIP__RTP_TIMEOUT_S": str(int(args.seconds) + 120),
           "VOICEBOT_TURN__NO_INPUT_TIMEOUT_S": str(int(args.seconds) + 120),
           "VOICEBOT_SIP__MAX_CALLS": str(args.max_calls)}
    start_machine = machine()
    with BotProcess(BOT_SIP, BOT_RTP, work / "bot", env=env) as bot:
        mark = bot.mark()
        hold_s = args.seconds + 600  # past the flood and its stragglers; terminated after the count
        holders = [subprocess.Popen(["sipp", "-nostdin", "-sn", "uac", "-p", str(HOLD_SIP + 2 * i), "-mp",
                                     str(36000 + 100 * i), "-m", "1", "-d", str(int(hold_s * 1000)),
                                     "-timeout", f"{int(hold_s + 60)}s", "-s", "bot", f"127.0.0.1:{BOT_SIP}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(args.max_calls)]
        bot.wait_events("call_answered", args.max_calls, mark, timeout=60)
        samples = [{"t": 0.0, **proc_state(bot.proc.pid)}]
        stop = threading.Event()

        def sample() -> None:
            t0 = time.monotonic()
            while not stop.wait(10.0):
                samples.append({"t": round(time.monotonic() - t0, 1), **proc_state(bot.proc.pid)})

        threading.Thread(target=sample, daemon=True).start()
        total = int(args.seconds * args.rate)
        log = work / "flood.log"
        flood_started = time.monotonic()
        flood = subprocess.run(
            ["sipp", "-nostdin", "-p", str(FLOOD_SIP), "-mp", "37000", "-sf", str(SCENARIO), "-r", str(args.rate),
             "-m", str(total), "-l", str(int(args.rate * 40)), "-timeout", f"{int(args.seconds + 90)}s",
             "-trace_logs", "-log_file", str(log), "-trace_stat", "-stf", str(work / "stat.csv"),
             "-s", "bot", f"127.0.0.1:{BOT_SIP}"],
            capture_output=True, text=True, timeout=args.seconds + 180)
        flood_s = time.monotonic() - flood_started
        stop.set()
        samples.append({"t": "end", **proc_state(bot.proc.pid)})
        alive = bot.proc.poll() is None
        held = sum(1 for h in holders if h.poll() is None)
        for h in holders:
            h.terminate()
    text = log.read_text() if log.exists() else ""
    lines = [line.strip() for line in text.splitlines()]
    counts = {"486": sum(line.startswith("REFUSED 486 Retry-After:") for line in lines),
              "503": sum(line.startswith("REFUSED 503 Retry-After:") for line in lines),
              "486_without_retry_after": sum(line == "REFUSED 486" for line in lines),
              "answered": sum(line == "ANSWERED" for line in lines)}
    answered_somehow = sum(counts.values())
    rss = [s["rss_mb"] for s in samples]
    fds = [s["fds"] for s in samples]
    result = {
        "invites": total, "rate_per_s": args.rate, "seconds": args.seconds,
        "refused_486_with_retry_after": counts["486"], "refused_503_with_retry_after": counts["503"],
        # pjsua's own refusal when all PJSUA_MAX_CALLS (4) slots are taken: it comes before the bot sees the INVITE.
        "refused_486_without_retry_after": counts["486_without_retry_after"], "answered": counts["answered"],
        "max_calls": args.max_calls, "unanswered_or_without_retry_after": total - answered_somehow,
        "sipp_exit": flood.returncode, "flood_wall_s": round(flood_s, 1), "bot_alive": alive, "held_calls_still_up": held,
        "rss_mb": {"start": rss[0], "end": rss[-1], "max": max(rss), "growth_pct": round(100 * (rss[-1] - rss[0]) / rss[0], 1)},
        "fds": {"start": fds[0], "end": fds[-1], "max": max(fds)},
        "threads": {"start": samples[0]["threads"], "end": samples[-1]["threads"]},
        "samples": samples, "machine": start_machine, "load_average_at_end": round(os.getloadavg()[0], 2),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "sip_flood.json"
    runs = json.loads(path.read_text()) if path.exists() else {}
    runs[f"max_calls_{args.max_calls}"] = result
    path.write_text(json.dumps(runs, indent=2))
    print(f"{total} INVITEs at {args.rate:g}/s, sip.max_calls {args.max_calls}: 486 {counts['486']}, 503 {counts['503']}, "
          f"486 without Retry-After {counts['486_without_retry_after']}, answered {counts['answered']}, "
          f"other {total - answered_somehow}; bot alive {alive}, held calls up {held}/{args.max_calls}; RSS {rss[0]} -> {rss[-1]} MB "
          f"(max {max(rss)}), fds {fds[0]} -> {fds[-1]}")
    with_retry_after = counts["486"] + counts["503"] + counts["answered"]
    return 0 if alive and total == with_retry_after else 1


if __name__ == "__main__":
    raise SystemExit(main())
