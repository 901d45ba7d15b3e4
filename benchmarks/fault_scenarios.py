"""Fault scenarios on the text dialer: Redis killed mid-campaign, a worker killed mid-call, three
campaigns at once under one cap. Real redis-server (the product's private server: AOF, fsync every
second), real worker processes (benchmarks/fault_worker.py: the zh dialplan through DialogueDialer,
CampaignWorker on the real clock), SIGKILL for every kill. Short real waits: a retry is 3 s away.

a. Redis SIGKILLed and restarted after ~6.5 s and ~15.5 s, 34 customers at 2 and 4 channels.
b. A worker SIGKILLed while its customer's opt-out is confirmed and the call is still up.
c. Three campaigns at once over the same numbers, max_calls_per_day = 2.
Then, 70 s after a and b ended, no call is still shown live (a live call's lease is 60 s).

Usage: python benchmarks/fault_scenarios.py   (writes benchmarks/results/fault_scenarios.json)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))  # machine_state beside it, also when a test loads this file
from machine_state import machine  # noqa: E402

from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.clock import SystemClock
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.kpi import compute, load_results
from voicebot.campaign.worker import INTERRUPTED
from voicebot.config import CampaignConfig
from voicebot.store.events import EVENTS_STREAM, RedisEventReader
from voicebot.store.redis_server import PrivateRedis, persistence

HERE = Path(__file__).resolve().parent
WORKER = HERE / "fault_worker.py"
RESULTS = HERE / "results" / "fault_scenarios.json"
# Personas of fault_worker.SCRIPTS and how many dials the retry rules give each (max_attempts = 3):
# an answered call ends the customer, an unanswered one is retried until the attempts run out.
DIALS = {"interested": 1, "refuse": 1, "stop_calling": 1, "no_answer": 3, "busy_then_refuse": 2}
RETRYABLE = ("no_answer", "busy", "failed", "voicemail")
GHOST_WAIT_S = 70.0


def scenario_cfg(**over: object) -> CampaignConfig:
    """Calling all day and seconds-long back-off, so a campaign's retries fit in a real-time run."""
    base: dict[str, object] = dict(calling_hours_start="00:00", calling_hours_end="23:59", max_attempts=3,
                                   retry_backoff_s=[3.0], human_agents=0, visibility_timeout_s=3.0,
                                   freq_cap_calls=0, max_calls_per_day=2, callback_min_delay_s=0.0)
    return CampaignConfig(**{**base, **over})


@dataclass
class CampaignFigures:
    campaign: str
    customers: int
    calls_made: int  # attempts dialled (the campaign's dial log)
    called_per_rules: int  # customers whose attempts follow the retry rules and who ended final
    lost: int  # customers left unfinished, or a dialled attempt with no recorded outcome
    doubled: int  # an attempt dialled twice, or a customer answered more often than the rules allow
    kpi_attempts: int
    kpi_human: int
    kpi_matches_records: bool  # KPI totals and the campaign counters equal the per-call records
    interrupted: int  # attempts recorded as "worker died during the call"
    deviations: list[str] = field(default_factory=list)


@dataclass
class EventFigures:
    call_started: int
    call_ended: int
    calls_made: int
    none_lost: bool  # one call_started per dial, one call_ended per dial whose worker lived


@dataclass
class ScenarioResult:
    name: str
    seconds: float
    campaigns: list[CampaignFigures]
    events: EventFigures | None = None
    detail: dict[str, object] = field(default_factory=dict)
    ghost_live_calls: int | None = None  # still shown live GHOST_WAIT_S after the end


class Lab:
    """One private redis-server and the worker processes of one scenario."""

    def __init__(self, cfg: CampaignConfig, turn_s: float = 0.3) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="vb-fault-"))
        self.server = PrivateRedis(self.dir / "redis")
        self.client = self.server.start()
        self.cfg, self.turn_s = cfg, turn_s
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.campaigns: list[Campaign] = []
        self.ended_at = 0.0

    def campaign(self, name: str, personas: list[str], first: int = 0) -> Campaign:
        customers = [{"phone": f"+86139{10000000 + first + i:08d}", "name": f"客户{first + i}", "persona": p,
                      "timezone": "Asia/Shanghai"} for i, p in enumerate(personas)]
        CustomerStore(self.client).upsert_many(customers)
        camp = Campaign(self.client, name)
        camp.create()
        camp.add_members([keys.customer_id(c["phone"]) for c in customers])
        camp.plan(SystemClock(), self.cfg)
        camp.seed(SystemClock(), self.cfg)
        camp.set_status("paused")  # workers load models for seconds each: none dials before all can (go)
        self.campaigns.append(camp)
        return camp

    def go(self) -> None:
        self.wait_ready()
        for camp in self.campaigns:
            camp.set_status("running")

    def start_worker(self, campaign: str, worker_id: str, channels: int, hold_s: float = 60.0) -> None:
        argv = [sys.executable, str(WORKER), "--socket", str(self.server.socket_path), "--campaign", campaign,
                "--worker-id", worker_id, "--channels", str(channels), "--cfg", self.cfg.model_dump_json(),
                "--turn-s", str(self.turn_s), "--hold-s", str(hold_s), "--recordings", str(self.dir / "rec")]
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        with (self.dir / f"{worker_id}.out").open("w") as out:  # a file, not a pipe: a full pipe stalls a worker
            self.procs[worker_id] = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True, env=env,
                                                     cwd=self.dir)

    def _lines(self, worker_id: str) -> list[dict]:
        text = (self.dir / f"{worker_id}.out").read_text(encoding="utf-8", errors="replace")
        return [json.loads(x) for x in text.splitlines() if x.startswith('{"')]

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        """Each worker loads the dialplan's models (seconds), then says it is ready."""
        deadline = time.monotonic() + timeout_s
        for worker_id, proc in self.procs.items():
            while not any("ready" in x for x in self._lines(worker_id)):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {worker_id} did not start; see {self.dir / worker_id}.out")
                time.sleep(0.1)

    def wait_workers(self, timeout_s: float = 240.0) -> dict[str, dict]:
        """Waits for every worker still running to finish its campaign; their closing stats."""
        deadline = time.monotonic() + timeout_s
        stats = {}
        for worker_id, proc in self.procs.items():
            try:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            done = [x for x in self._lines(worker_id) if "worker" in x]
            stats[worker_id] = done[-1] if done else {"exit_code": proc.returncode}
        self.ended_at = time.monotonic()
        return stats

    def kill_redis(self, outage_s: float) -> None:
        os.kill(int(self.server.pid_path.read_text()), signal.SIGKILL)
        time.sleep(outage_s)
        self.client = self.server.start()  # the same directory: the append-only file is replayed

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def figures(client: redis.Redis, camp: Campaign, personas: dict[str, str], cfg: CampaignConfig) -> CampaignFigures:
    """Judges every customer's attempts against the retry rules, from Redis as left behind."""
    results = load_results(client, camp.name)
    dials = client.lrange(camp.ck.dials, 0, -1)
    by_customer: dict[str, list[dict]] = {}
    for r in results:
        by_customer.setdefault(r["customer_id"], []).append(r)
    lost = doubled = ok = 0
    deviations: list[str] = []
    dial_counts = Counter(d.split(":")[0] for d in dials)
    for attempt_id, n in Counter(dials).items():
        if n > 1:
            doubled += 1
            deviations.append(f"{attempt_id} dialled {n} times")
    recorded = {f"{r['customer_id']}:{r['attempt']}" for r in results}
    for cid, persona in personas.items():
        rs = sorted(by_customer.get(cid, []), key=lambda r: r["attempt"])
        attempts = [r["attempt"] for r in rs]
        humans = sum(r["result"]["answered_by"] == "human" for r in rs)
        interrupted = any(r["result"].get("error") == INTERRUPTED for r in rs)
        final = client.hget(camp.ck.state(cid), "final") == "1"
        unrecorded = [d for d in dials if d.startswith(f"{cid}:") and d not in recorded]
        if not final or unrecorded or attempts != list(range(1, len(attempts) + 1)):
            lost += 1
            deviations.append(f"{cid} ({persona}) lost: final={final} attempts={attempts} unrecorded={unrecorded}")
        elif humans > 1 or any(r["result"]["answered_by"] == "human" for r in rs[:-1]):
            doubled += 1
            deviations.append(f"{cid} ({persona}) answered {humans} times: attempts={attempts}")
        elif any(r["result"]["answered_by"] not in RETRYABLE for r in rs[:-1]) or (
                not interrupted and dial_counts[cid] != min(DIALS[persona], cfg.max_attempts)):
            deviations.append(f"{cid} ({persona}) off the rules: dials={dial_counts[cid]} attempts={attempts}")
        else:
            ok += 1
    k = compute(results, cfg)
    status = camp.status_report()
    kpi_ok = (k.attempts == len(results) == status["calls_made"] and k.human == status["answered_by_human"]
              == sum(r["result"]["answered_by"] == "human" for r in results))
    return CampaignFigures(camp.name, len(personas), len(dials), ok, lost, doubled, k.attempts, k.human, kpi_ok,
                           sum(r["result"].get("error") == INTERRUPTED for r in results), deviations)


def event_figures(client: redis.Redis, calls_made: int, killed_calls: int = 0) -> EventFigures:
    counts = Counter(json.loads(f["json"])["type"] for _, f in client.xrange(EVENTS_STREAM))
    started, ended = counts["call_started"], counts["call_ended"]
    return EventFigures(started, ended, calls_made, started == calls_made and ended == calls_made - killed_calls)


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout_s} s")
        time.sleep(0.02)


def personas_of(camp: Campaign) -> dict[str, str]:
    return {c["id"]: c["persona"] for c in CustomerStore(camp.client).get_many(camp.members())}


def redis_kill(outage_s: float, processes: int, channels: int, n: int = 34) -> tuple[ScenarioResult, Lab]:
    """Scenario a. Returns the lab still running: the ghost check comes GHOST_WAIT_S later."""
    cfg = scenario_cfg(bot_channels=processes * channels)
    lab = Lab(cfg)
    try:
        mix = list(DIALS)
        camp = lab.campaign("outage", [mix[i % len(mix)] for i in range(n)])
        for i in range(processes):
            lab.start_worker("outage", f"w{i}", channels)
        lab.go()
        t0 = time.monotonic()
        expected = sum(DIALS[mix[i % len(mix)]] for i in range(n))
        wait_for(lambda: lab.client.llen(camp.ck.dials) >= expected // 3, "a third of the calls made")
        in_flight = lab.client.zcard(camp.ck.inflight)
        dials_before = lab.client.llen(camp.ck.dials)
        lab.kill_redis(outage_s)
        stats = lab.wait_workers()
        camp = Campaign(lab.client, "outage")
        figs = figures(lab.client, camp, personas_of(camp), cfg)
        return ScenarioResult(
            f"redis_killed_{outage_s}s_{processes * channels}ch", round(time.monotonic() - t0, 1), [figs],
            event_figures(lab.client, figs.calls_made),
            {"outage_s": outage_s, "channels": processes * channels, "worker_processes": processes,
             "calls_in_progress_at_kill": in_flight, "dials_before_kill": dials_before,
             "persistence": asdict(persistence(lab.client)), "workers": stats}), lab
    except BaseException:  # a failed scenario leaves no redis-server or worker behind
        lab.close()
        raise


def worker_kill() -> tuple[ScenarioResult, Lab]:
    """Scenario b: the worker holding the "held" customer's call is killed after the opt-out."""
    cfg = scenario_cfg(bot_channels=2)
    lab = Lab(cfg)
    try:
        camp = lab.campaign("killed", ["held", "refuse", "interested", "no_answer", "busy_then_refuse", "refuse"])
        held = next(cid for cid, p in personas_of(camp).items() if p == "held")
        phone = CustomerStore(lab.client).get_many([held])[0]["phone"]
        lab.start_worker("killed", "a", 1)
        lab.start_worker("killed", "b", 1)
        lab.go()
        t0 = time.monotonic()
        dnc = DoNotCallList(lab.client)
        wait_for(lambda: dnc.contains(phone), "the opt-out written while the call is up")
        attempt = json.loads(lab.client.get(camp.ck.attempt(held, 1)))
        victim = attempt["worker"].rsplit("-", 1)[0]
        lab.procs[victim].send_signal(signal.SIGKILL)
        lab.procs[victim].wait()
        killed_at = time.monotonic() - t0
        stats = lab.wait_workers()
        figs = figures(lab.client, camp, {**personas_of(camp), held: "stop_calling"}, cfg)
        rs = [r for r in load_results(lab.client, "killed") if r["customer_id"] == held]
        transcript = next((lab.dir / "rec").glob(f"*/text-{held}:1.jsonl"), None)
        lines = [json.loads(x) for x in transcript.read_text(encoding="utf-8").splitlines()] if transcript else []
        return ScenarioResult("worker_killed_mid_call", round(time.monotonic() - t0, 1), [figs],
                              event_figures(lab.client, figs.calls_made, killed_calls=1), {
            "killed_worker": victim, "killed_after_s": round(killed_at, 1), "state_at_kill": attempt["state"],
            "held_customer_dials": sum(d.startswith(f"{held}:") for d in lab.client.lrange(camp.ck.dials, 0, -1)),
            "held_customer_records": [(r["attempt"], r["result"]["answered_by"], r["result"].get("error")) for r in rs],
            "held_customer_status": lab.client.hget(camp.ck.state(held), "status"),
            "on_do_not_call_list": dnc.contains(phone),
            "partial_transcript_lines": len(lines),
            "partial_transcript_valid": bool(lines) and all({"who", "text"} <= set(x) for x in lines)
            and any(x["who"] == "callee" and "别给我打电话" in x["text"] for x in lines),
            "workers": stats}), lab
    except BaseException:  # a failed scenario leaves no redis-server or worker behind
        lab.close()
        raise


def three_campaigns(numbers: int = 8) -> ScenarioResult:
    """Scenario c: three campaigns at once over the same numbers, each in its own worker process."""
    cfg = scenario_cfg(bot_channels=2, max_calls_per_day=2)
    lab = Lab(cfg, turn_s=0.2)
    try:
        names = ("spring", "summer", "autumn")
        camps = [lab.campaign(name, ["refuse"] * numbers) for name in names]  # same phones in each
        for name in names:
            lab.start_worker(name, name, 2)
        lab.go()
        t0 = time.monotonic()
        stats = lab.wait_workers()
        answered: Counter[str] = Counter()
        spans = []  # each campaign's first call start and last call end: they overlap when run at once
        for camp in camps:
            results = load_results(lab.client, camp.name)
            spans.append((min(r["started"] for r in results), max(r["ended"] for r in results)))
            for r in results:
                answered[r["customer_id"]] += r["result"]["answered_by"] == "human"
        cap_records = [lab.client.zcard(keys.number_calls(c["phone"]))
                       for c in CustomerStore(lab.client).get_many(camps[0].members())]
        return ScenarioResult("three_campaigns_cap_2", round(time.monotonic() - t0, 1), [], None, {
            "numbers": numbers, "max_calls_per_day": 2, "answered_per_number": dict(Counter(answered.values())),
            "max_answered": max(answered.values()), "over_cap": sum(v > 2 for v in answered.values()),
            "cap_record_max": max(cap_records),
            "campaigns_overlap_s": round(min(e for _, e in spans) - max(b for b, _ in spans), 2), "workers": stats})
    finally:
        lab.close()


def ghost_check(result: ScenarioResult, lab: Lab) -> None:
    """Counts calls the console still shows live GHOST_WAIT_S after the scenario ended."""
    time.sleep(max(0.0, lab.ended_at + GHOST_WAIT_S - time.monotonic()))
    result.ghost_live_calls = len(RedisEventReader(lab.client).live_calls())
    lab.close()


def main() -> int:
    started = time.monotonic()
    info = machine()
    pending: list[tuple[ScenarioResult, Lab]] = []
    results: list[ScenarioResult] = []
    try:
        for outage_s, processes, channels in ((6.5, 2, 1), (15.5, 2, 2)):
            pending.append(redis_kill(outage_s, processes, channels))
            print(json.dumps(asdict(pending[-1][0]), ensure_ascii=False), flush=True)
        pending.append(worker_kill())
        print(json.dumps(asdict(pending[-1][0]), ensure_ascii=False), flush=True)
        results.append(three_campaigns())  # runs while the ghost leases run out
        print(json.dumps(asdict(results[-1]), ensure_ascii=False), flush=True)
        for result, lab in pending:
            ghost_check(result, lab)
    finally:
        for _, lab in pending:
            lab.close()
    scenarios = [r for r, _ in pending] + results
    out = {"machine": info, "total_s": round(time.monotonic() - started, 1),
           "scenarios": [asdict(r) for r in scenarios]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for r in scenarios:
        for f in r.campaigns:
            print(f"{r.name}: {f.called_per_rules}/{f.customers} called per the rules, lost {f.lost}, "
                  f"doubled {f.doubled}, KPI = records {f.kpi_matches_records}, calls {f.calls_made}, "
                  f"events none lost {r.events.none_lost if r.events else '-'}, ghosts {r.ghost_live_calls}")
    print(f"three campaigns: max answered per number {scenarios[-1].detail['max_answered']} (cap 2); "
          f"total {out['total_s']} s; written {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
