"""One campaign worker process on the text dialer, for the fault scenarios (fault_scenarios.py).

The product's parts: the zh dialplan run by ``DialogueDialer`` (what `campaign simulate` uses) with
its opt-out watch, ``CampaignWorker`` on the real clock (one per channel, sharing the dialer, as
`campaign start` does), the console's ``RedisEventSink`` and the ``CallRecorder`` transcript. The
text dialer publishes no call events and writes no transcript of its own (the voice path's
CallSession does both), so ``ObservedDialer`` does that around each call with the same parts.

Customers follow a scripted persona (customer field ``persona``) and take ``turn_s`` real seconds
per answer, so calls are in progress when Redis or the worker is killed.

Usage: python benchmarks/fault_worker.py --socket S --campaign NAME --worker-id ID --cfg JSON
       [--channels N] [--turn-s 0.3] [--hold-s 60] [--recordings DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import redis

from voicebot.campaign.clock import SystemClock
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.text_dialer import DialogueDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig, Settings
from voicebot.recording.recorder import CallRecorder
from voicebot.session.events import CallEvent, public_customer
from voicebot.store.events import RedisEventSink

ROOT = Path(__file__).resolve().parents[1]
ZH_PLAN = ROOT / "dialplans" / "outbound_marketing_zh.yaml"
# What each persona says, turn by turn (None hangs up). "held" opts out like "stop_calling"; the
# bot's closing line then plays for --hold-s, and the scenario kills the worker meanwhile.
SCRIPTS: dict[str, list[str | None]] = {
    "interested": ["对，是我", "可以", "好的你说", "听起来不错，怎么买", None],
    "refuse": ["对，是我", "不需要，谢谢", None],
    "stop_calling": ["对，是我", "以后别给我打电话了", "对", None],
    "held": ["对，是我", "以后别给我打电话了", None],
    "no_answer": [],
    "busy_then_refuse": ["对，是我", "不需要，谢谢", None],
}
RING_S = 0.3  # an unanswered call rings this long (real seconds)


class ScriptedCallee:
    """The DialogueDialer's callee: says its persona's lines, taking ``turn_s`` per answer, and
    writes both sides into the call's transcript as it goes."""

    def __init__(self, turn_s: float, hold_s: float) -> None:
        self.turn_s, self.hold_s = turn_s, hold_s
        self.turns: dict[str, int] = {}
        self.recorders: dict[str, CallRecorder] = {}  # job id -> the open transcript
        self.bot_lines: dict[str, int] = {}  # job id -> bot lines written to it so far

    def answers(self, job: CallJob) -> bool:
        persona = job.customer.get("persona", "refuse")
        answered = persona != "no_answer" and not (persona == "busy_then_refuse" and job.attempt == 1)
        if not answered:
            time.sleep(RING_S)
        return answered

    def __call__(self, job: CallJob, lines: list[str]) -> str | None:
        recorder = self.recorders.get(job.job_id)
        t = time.monotonic()
        self.write_bot(job.job_id, lines)
        n = self.turns.get(job.job_id, 0)
        self.turns[job.job_id] = n + 1
        script = SCRIPTS.get(str(job.customer.get("persona", "refuse")), SCRIPTS["refuse"])
        said = script[n] if n < len(script) else None
        time.sleep(self.turn_s)
        if said is not None and recorder is not None:
            recorder.add_transcript("callee", said, t, time.monotonic())
        return said

    def write_bot(self, job_id: str, lines: list[str]) -> None:
        recorder = self.recorders.get(job_id)
        if recorder is not None:
            t = time.monotonic()
            for line in lines:
                recorder.add_transcript("bot", line, t, t)
        self.bot_lines[job_id] = self.bot_lines.get(job_id, 0) + len(lines)


class ObservedDialer:
    """The text dialer plus what a voice call leaves behind: call_started/call_ended events in the
    console's stream (through the product's sink, with its outage backlog) and a transcript file."""

    def __init__(self, inner: DialogueDialer, callee: ScriptedCallee, sink: RedisEventSink, recordings: Path) -> None:
        self.inner, self.callee, self.sink, self.recordings = inner, callee, sink, recordings

    def dial(self, job: CallJob) -> CallResult:
        call_id = f"text-{job.job_id}"  # the id DialogueDialer gives the call
        self.sink(CallEvent("call_started", call_id, {"direction": "outbound", "locale": job.locale,
                                                      "campaign": job.campaign, "attempt": job.attempt,
                                                      "customer": public_customer({**job.customer,
                                                                                   "customer_id": job.customer_id})}))
        recorder = CallRecorder(self.recordings, call_id, 8000, 320)
        self.callee.recorders[job.job_id] = recorder
        try:
            result = self.inner.dial(job)
            said = self.inner.said.get(job.job_id, [])
            self.callee.write_bot(job.job_id, said[self.callee.bot_lines.get(job.job_id, 0):])  # the closing line
            if job.customer.get("persona") == "held":
                time.sleep(self.callee.hold_s)  # the closing line still playing: the scenario kills us here
        finally:
            self.callee.recorders.pop(job.job_id, None)
            recorder.close()
        self.sink(CallEvent("call_ended", call_id, {"outcome": {"answered_by": result.answered_by,
                                                                "grade": result.intent_grade or ""}}))
        return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--socket", required=True)
    p.add_argument("--campaign", required=True)
    p.add_argument("--worker-id", required=True)
    p.add_argument("--cfg", required=True, help="CampaignConfig as JSON")
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--turn-s", type=float, default=0.3)
    p.add_argument("--hold-s", type=float, default=60.0)
    p.add_argument("--recordings", type=Path, default=Path("recordings"))
    args = p.parse_args(argv)

    def connect() -> redis.Redis:
        return redis.Redis(unix_socket_path=args.socket, decode_responses=True)

    from voicebot.dialogue.factory import PlanDialogueFactory

    settings = Settings()
    settings.dialogue.plan = str(ZH_PLAN)
    cfg = CampaignConfig.model_validate_json(args.cfg)
    clock = SystemClock()
    callee = ScriptedCallee(args.turn_s, args.hold_s)
    sink = RedisEventSink(connect(), worker=args.worker_id)
    dialer = ObservedDialer(DialogueDialer(PlanDialogueFactory(settings), callee, clock, opt_outs=connect),
                            callee, sink, args.recordings)
    workers = [CampaignWorker(connect(), args.campaign, dialer, cfg, clock, worker_id=f"{args.worker_id}-{i}")
               for i in range(args.channels)]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), kwargs={"poll_s": 0.2, "exit_when_done": True})
               for w in workers]
    print(json.dumps({"ready": args.worker_id}), flush=True)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sink.close(timeout_s=30)  # the events of the last calls reach the stream before the process exits
    stats = {k: sum(getattr(w.stats, k) for w in workers)
             for k in ("dialed", "deferred", "dropped", "interrupted", "redis_outages", "groups_recreated")}
    print(json.dumps({"worker": args.worker_id, **stats, "events_dropped": sink.dropped}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
