"""A soak: one campaign dialled for an hour at this machine's rated channel count, through the real
campaign path (Redis, `voicebot campaign start` as a process group, the voice loop) to phone banks
behind a carrier proxy (see soak_rig.py).

Measured: calls attempted, completed and failed; the callee's reply wait (end of its speech -> first bot
audio, as heard over RTP) at p50/p95 per 5-minute slice; RSS, open files and threads of every process
and what each bot process's SIP stack holds (its ``sip_resources`` log line), early in the run and at
its end; jobs lost (dialled or claimed, never recorded) and jobs doubled (one attempt dialled twice, or
one number ringing twice at once). Both must be 0.

Run it with nothing else on the machine:
    .venv/bin/python benchmarks/soak.py                 # 60 min at the rated channel count
    .venv/bin/python benchmarks/soak.py --minutes 3 --channels 4 --out /tmp/soak-try.json   # a trial
Writes benchmarks/results/soak.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from soak_rig import Carrier, ProcessSampler  # noqa: E402

from voicebot.capacity_rating import read_rating  # noqa: E402
from voicebot.config import load_settings  # noqa: E402
from voicebot.ops.capacity_probe import pct  # noqa: E402
from voicebot.store import keys  # noqa: E402
from voicebot.store.redis_server import PrivateRedis  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SLICE_S = 300
PERSONAS = {
    "interested": {"turns": [
        {"say": "Yes, hello, this is Ada speaking."},
        {"say": "That sounds interesting. How much does it cost?"},
        {"say": "Great, I will take it. Please sign me up."},
        {"say": "Thank you, goodbye."}]},
    "price_sensitive": {"turns": [
        {"say": "Yes, speaking."},
        {"say": "How much is it? Do you have any discount?"},
        {"say": "Hmm, that sounds interesting, send me the details please."},
        {"say": "Thanks, goodbye."}]},
    "refuse": {"turns": [{"say": "No thanks, I am not interested."}, {"say": "No. Goodbye."}]},
    "stop_calling": {"turns": [{"say": "Please stop calling me and take my number off your list."}]},
    "callback": {"turns": [{"say": "I am busy right now, can you call me back tomorrow afternoon?"}]},
    "voicemail": {"wait_for_greeting": False, "after_last_turn": "wait_hangup", "turns": [
        {"say": "Hi, you have reached Ada. I can not take your call right now. "
                "Please leave a message after the tone, and I will call you back."}]},
    "busy": {"reject_with": 486},
    "no_answer": {"never_answer": True},
}
# Out of every 20 customers: mostly conversations, and every other path a campaign takes.
MIX = (["interested"] * 5 + ["price_sensitive"] * 4 + ["refuse"] * 4 + ["callback"] * 2 + ["stop_calling"] * 2
       + ["voicemail", "busy", "no_answer"])
PORTS = {"carrier": 5090, "bot": 5300, "bot_rtp": 31000, "bank": 7300, "bank_rtp": 36000}


def phone(i: int) -> str:
    return f"+86139{30000000 + i:08d}"


def rated_channels() -> tuple[int | None, str]:
    rating, problem = read_rating(load_settings())
    return (rating.channels, "") if rating is not None else (None, problem)


def run(minutes: float, channels: int, workdir: Path) -> dict:
    customers = max(200, int(channels * minutes * 4))
    numbers = {phone(i): MIX[i % len(MIX)] for i in range(customers)}
    bank_yaml = workdir / "bank.yaml"
    bank_yaml.write_text(yaml.safe_dump({"personas": {n: {"name": n, **p} for n, p in PERSONAS.items()},
                                         "numbers": numbers}), encoding="utf-8")
    crm = workdir / "customers.csv"
    with crm.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["phone", "name", "persona"])
        w.writerows([n, f"Customer {i}", p] for i, (n, p) in enumerate(numbers.items()))

    redis_dir = workdir / "redis"
    redis_dir.mkdir()
    store = PrivateRedis(redis_dir)
    client = store.start()
    redis_pid = int(store.pid_path.read_text().strip())
    base_env = {**os.environ, "PYTHONUNBUFFERED": "1", "VOICEBOT_REDIS__URL": f"unix://{store.socket_path}",
                "VOICEBOT_SIP__BIND_HOST": "127.0.0.1", "VOICEBOT_SIP__RTP_PORT_RANGE": "200"}

    def voicebot(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "voicebot", *args], capture_output=True, text=True, env=base_env,
                              timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"voicebot {' '.join(args)} failed:\n{done.stderr[-2000:]}")

    voicebot("campaign", "create", "soak", "--locale", "en-US")
    voicebot("campaign", "import", "soak", str(crm))

    n_banks = math.ceil(channels / 4) + 1  # one bank more than needed: the hunt always finds a free line
    bank_ports = [PORTS["bank"] + 2 * i for i in range(n_banks)]
    banks: list[subprocess.Popen] = []
    carrier = Carrier(workdir / "carrier", PORTS["carrier"], bank_ports).start()
    worker = None
    try:
        for i, port in enumerate(bank_ports):
            log = open(workdir / f"bank-{i}.log", "w")
            banks.append(subprocess.Popen(
                [sys.executable, "-m", "voicebot", "callee", "--bank", str(bank_yaml), "--port", str(port),
                 "--rtp-port", str(PORTS["bank_rtp"] + 1000 * i), "--reports-dir", str(workdir / "reports" / f"bank{i}"),
                 "--timeout", "300"], stdout=subprocess.DEVNULL, stderr=log, env=base_env))
        deadline = time.time() + 300
        for i in range(n_banks):
            while '"sip_started"' not in (workdir / f"bank-{i}.log").read_text(errors="replace"):
                if banks[i].poll() is not None or time.time() > deadline:
                    raise RuntimeError((workdir / f"bank-{i}.log").read_text(errors="replace")[-2000:])
                time.sleep(0.5)

        env = {**base_env, "VOICEBOT_SIP__PORT": str(PORTS["bot"]), "VOICEBOT_SIP__RTP_PORT": str(PORTS["bot_rtp"]),
               "VOICEBOT_SIP__RING_TIMEOUT_S": "8",
               "VOICEBOT_CAMPAIGN__DIAL_URI_TEMPLATE": f"sip:{{phone}}@127.0.0.1:{PORTS['carrier']}",
               "VOICEBOT_CAMPAIGN__CALLING_HOURS_START": "00:00", "VOICEBOT_CAMPAIGN__CALLING_HOURS_END": "24:00",
               "VOICEBOT_CAMPAIGN__MAX_ATTEMPTS": "2", "VOICEBOT_CAMPAIGN__RETRY_BACKOFF_S": "[60]",
               "VOICEBOT_DIALOGUE__PLAN": "dialplans/outbound_marketing_en.yaml", "VOICEBOT_DIALOGUE__LOCALE": "en-US",
               # Every channel in use: the pacer's ceiling is campaign.bot_channels (8 by default). No
               # agent takes calls in this rig, so the pacer does not count agents' load either.
               "VOICEBOT_CAMPAIGN__BOT_CHANNELS": str(channels), "VOICEBOT_CAMPAIGN__HUMAN_AGENTS": "0",
               # The figure is the wait for the reply itself, not for a holding line ("one moment").
               "VOICEBOT_TURN__REPLY_FILLER_AFTER_S": "0",
               "VOICEBOT_PATHS__RECORDINGS_DIR": str(workdir / "recordings")}
        worker_log = workdir / "worker.log"
        worker = subprocess.Popen([sys.executable, "-m", "voicebot", "campaign", "start", "soak", "--channels",
                                   str(channels)], stdout=subprocess.PIPE, stderr=open(worker_log, "w"), text=True, env=env)
        started = time.time()
        roots = {"bot": worker.pid, "carrier": carrier.proc.pid, "redis": redis_pid}
        roots.update({f"bank{i}": b.pid for i, b in enumerate(banks)})
        sampler = ProcessSampler(roots).start()
        print(f"soak: {channels} channels, {customers} customers, {n_banks} banks, {minutes} min", flush=True)
        end_at = started + minutes * 60
        while time.time() < end_at:
            if worker.poll() is not None:
                raise RuntimeError("campaign worker exited early:\n" + worker_log.read_text(errors="replace")[-3000:])
            time.sleep(min(10.0, max(0.0, end_at - time.time())))
            done = client.xlen(keys.CampaignKeys("soak").results)
            print(f"  {time.time() - started:6.0f} s  results {done}", flush=True)
        sampler.sample()  # the end, before the drain
        sampler.stop()
        drain_at = time.time()
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=600)
        drained_s = time.time() - drain_at
        summary = json.loads(out[out.index("{"):]) if "{" in out else {}
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        time.sleep(5)  # the banks' last reports
        for b in banks:
            b.send_signal(signal.SIGTERM)
        for b in banks:
            try:
                b.wait(60)
            except subprocess.TimeoutExpired:
                b.kill()
        carrier.stop()

    report = analyse(client, workdir, started, channels, sampler.samples, worker.returncode, drained_s, summary)
    report["setup"] = {"channels": channels, "customers_imported": customers, "phone_banks": n_banks,
                       "minutes": minutes, "persona_mix_per_20": dict(Counter(MIX)),
                       "plan": "dialplans/outbound_marketing_en.yaml", "carrier": "kamailio dispatcher, hunt on 486/503",
                       "agent_load_pacing": "off (campaign.human_agents = 0)"}
    store.stop()
    return report


def analyse(client, workdir: Path, started: float, channels: int, samples: list[dict], worker_rc: int | None,
            drained_s: float, summary: dict) -> dict:
    ck = keys.CampaignKeys("soak")
    dials = client.lrange(ck.dials, 0, -1)
    results = [json.loads(f["json"]) for _, f in client.xrange(ck.results)]
    recorded = Counter(f"{r['customer_id']}:{r['attempt']}" for r in results)
    answered_by = Counter(r["result"].get("answered_by", "") for r in results)
    failed = [r for r in results if r["result"].get("answered_by") == "failed" or r["result"].get("error")]
    states = Counter(client.hget(ck.state(cid), "status") or "" for cid in client.smembers(ck.members))
    by_persona: dict[str, Counter] = {}
    for r in results:  # what each kind of customer came to, call by call
        persona = client.hget(keys.customer(r["customer_id"]), "persona") or "?"
        by_persona.setdefault(persona, Counter())[r["status"]] += 1

    reports = [json.loads(p.read_text(encoding="utf-8")) for p in (workdir / "reports").glob("*/*.json")]
    slices: dict[int, dict] = {}
    for rep in reports:
        s = slices.setdefault(int((rep["started"] - started) // SLICE_S), {"calls": 0, "said": 0, "heard": []})
        s["calls"] += 1
        s["said"] += len(rep.get("turns", []))
        s["heard"] += [t["reply_latency_ms"] for t in rep.get("turns", []) if t.get("reply_latency_ms") is not None]
    per_slice = [{"minutes": f"{5 * k}-{5 * k + 5}", "bank_calls": v["calls"], "turns_said": v["said"],
                  "turns_answered": len(v["heard"]), "callee_heard_ms_p50": pct(v["heard"], 0.5),
                  "callee_heard_ms_p95": pct(v["heard"], 0.95)} for k, v in sorted(slices.items())]
    heard = [t["reply_latency_ms"] for rep in reports for t in rep.get("turns", []) if t.get("reply_latency_ms") is not None]
    # One number ringing twice at once, seen from the phones' side.
    by_number: dict[str, list[tuple[float, float]]] = {}
    for rep in reports:
        by_number.setdefault(rep["number"], []).append((rep["started"], rep["started"] + rep.get("duration_s", 0)))
    overlapping = sum(1 for spans in by_number.values() for a, b in zip(sorted(spans), sorted(spans)[1:]) if b[0] < a[1])

    worker_log = (workdir / "worker.log").read_text(errors="replace").splitlines()
    events = []
    for line in worker_log:
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    sip = {}
    for e in events:
        if e.get("event") == "sip_resources":
            sip.setdefault(str(e.get("pid")), []).append({k: e.get(k) for k in (
                "calls", "refusing", "bridge_ports", "media_ports", "media_ports_free", "graveyard", "threads")})
    crashed = sum(1 for e in events if e.get("event") == "session_crashed")
    errors = Counter(e.get("event") for e in events if e.get("level") in ("error", "critical"))

    early = next((s for s in samples if s["t"] >= 120), samples[0] if samples else {"t": 0, "procs": {}})
    last = samples[-1] if samples else early
    processes = []
    for pid, p in sorted(last["procs"].items(), key=lambda kv: kv[1]["role"]):
        if p["role"] == "carrier":
            continue  # Kamailio's processes: one line, below
        e = early["procs"].get(pid)
        processes.append({"role": p["role"], "pid": int(pid), "cmd": p["cmd"][:100],
                          "start": {k: e[k] for k in ("rss_mb", "fds", "threads")} if e else None,
                          "end": {k: p[k] for k in ("rss_mb", "fds", "threads")}, "cpu_s": p["cpu_s"]})

    def carrier(snap: dict) -> dict:
        procs = [p for p in snap["procs"].values() if p["role"] == "carrier"]
        return {"processes": len(procs), "rss_mb": round(sum(p["rss_mb"] for p in procs), 1),
                "fds": sum(p["fds"] for p in procs)}
    processes.append({"role": "carrier (kamailio, all processes)", "start": carrier(early), "end": carrier(last)})
    rss_every_5_min = {}  # the bot processes' memory through the run (the slice's last sample): a climb or a plateau
    for snap in samples:
        bots = {pid: p["rss_mb"] for pid, p in snap["procs"].items() if p["role"] == "bot"}
        if bots:
            rss_every_5_min[f"{int(snap['t'] // SLICE_S) * 5} min"] = bots
    return {
        "calls": {"attempted": len(dials), "recorded": len(results), "failed": len(failed),
                  "failed_examples": [r["result"].get("error", "")[:200] for r in failed[:5]],
                  "answered_by": dict(answered_by), "customer_status": dict(states),
                  "status_by_persona": {k: dict(v) for k, v in sorted(by_persona.items())},
                  "bank_calls": len(reports), "bank_errors": sum(1 for r in reports if r.get("error")),
                  "sessions_crashed": crashed, "error_log_events": dict(errors)},
        "jobs": {"lost_dialled_not_recorded": sum(1 for d in set(dials) if d not in recorded),
                 "lost_in_flight_after_drain": client.zcard(ck.inflight),
                 "doubled_dials": len(dials) - len(set(dials)),
                 "doubled_records": sum(n - 1 for n in recorded.values() if n > 1),
                 "number_rang_twice_at_once": overlapping},
        "callee_heard_ms": {"turns_answered": len(heard), "p50": pct(heard, 0.5), "p95": pct(heard, 0.95),
                            "max": max(heard, default=None)},
        "per_5_minutes": per_slice,
        "processes": {"early_sample_s": early["t"], "end_sample_s": last["t"], "each": processes,
                      "bot_rss_mb_every_5_minutes": rss_every_5_min},
        "sip_resources_per_bot_process": {pid: {"early": v[min(1, len(v) - 1)], "end": v[-1], "reports": len(v)}
                                          for pid, v in sip.items()},
        "drain": {"worker_exit": worker_rc, "seconds": round(drained_s, 1), "summary": summary},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--channels", type=int, default=None, help="default: this machine's rating (voicebot capacity rate)")
    ap.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    ap.add_argument("--workdir", type=Path, default=None, help="keep logs and the phones' reports here (a new directory)")
    args = ap.parse_args()
    rated, problem = rated_channels()
    channels = args.channels or rated
    if channels is None:
        print(f"soak: no channel count: {problem}; run `voicebot capacity rate` first or pass --channels",
              file=sys.stderr)
        return 2
    load_at_start = os.getloadavg()[0]
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=False)
        report = run(args.minutes, channels, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="vb-soak-") as tmp:
            report = run(args.minutes, channels, Path(tmp))
    report = {"benchmark": "soak", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                          "load_average_1min_at_start": round(load_at_start, 2),
                          "load_average_1min_at_end": round(os.getloadavg()[0], 2)},
              "rated_channels": rated, "channels_at_rating": channels == rated, **report}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("calls", "jobs", "callee_heard_ms", "per_5_minutes")}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
