"""`voicebot campaign simulate NAME`: the campaign run end to end on the text dialer, on a simulated clock.

The real dialplans speak (``DialogueDialer``), a text customer answers what it hears, the campaign
worker books retries and callbacks on a ``FakeClock`` that jumps over idle time and that the
dialogue itself reads (callback times are said for the simulated day). Prints segment counts,
outcomes and writes the report. Nothing is dialled.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from voicebot.campaign.dialer import CallJob
from voicebot.locales import is_chinese
from voicebot.logs import get_logger

log = get_logger("voicebot.campaign.simulate")

# What a simulated customer does once greeted: (share, its lines in order). None ends the call.
REACTIONS_ZH: list[tuple[float, list[str | None]]] = [
    (0.25, ["可以", "好的你说", "听起来不错，怎么买"]),
    (0.30, ["不需要，谢谢", None]),
    (0.15, ["我现在在开会，明天下午再打给我吧", None]),
    (0.10, ["晚上十点再打给我吧", None]),
    (0.10, ["可以", "多少钱", "太贵了，不用了", None]),
    (0.10, ["你打错了", None]),
]
REACTIONS_EN: list[tuple[float, list[str | None]]] = [
    (0.25, ["sure", "yes go on", "sounds good, how do I buy"]),
    (0.30, ["no thanks, not interested", None]),
    (0.15, ["I'm in a meeting, call me tomorrow afternoon", None]),
    (0.10, ["call me back in an hour", None]),
    (0.10, ["ok", "how much is it", "too expensive, no", None]),
    (0.10, ["wrong number", None]),
]
NO_ANSWER = 0.15  # share of calls nobody picks up


@dataclass
class TextCustomer:
    """Answers the bot in text; the same customer reacts the same way on every attempt (seeded)."""

    seed: int = 0

    def _rng(self, job: CallJob, salt: str) -> random.Random:
        digest = hashlib.sha1(f"{self.seed}:{job.customer_id}:{salt}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def __post_init__(self) -> None:
        self.turn: dict[str, int] = {}

    def answers(self, job: CallJob) -> bool:
        return self._rng(job, f"answer{job.attempt}").random() >= NO_ANSWER

    def __call__(self, job: CallJob, lines: list[str]) -> str | None:
        zh = is_chinese(job.locale)
        n = self.turn.get(job.job_id, 0)
        self.turn[job.job_id] = n + 1
        if n == 0:
            return "对，是我" if zh else "yes, speaking"
        reactions = REACTIONS_ZH if zh else REACTIONS_EN
        pick, acc = self._rng(job, "kind").random(), 0.0
        script = reactions[-1][1]
        for share, lines_ in reactions:
            acc += share
            if pick < acc:
                script = lines_
                break
        if job.kind == "callback":  # called back as promised: now they listen
            script = reactions[0][1]
        return script[n - 1] if n - 1 < len(script) else None


def run_simulation(client: Any, name: str, settings: Any, start: datetime, out_dir: Path,
                   seed: int = 0) -> dict[str, Any]:
    """Plans, seeds and runs the campaign to its end on a simulated clock; returns what to print."""
    from voicebot.campaign.campaign import Campaign
    from voicebot.campaign.clock import FakeClock
    from voicebot.campaign.kpi import load_results
    from voicebot.campaign.report import write_report
    from voicebot.campaign.scripts import CampaignScripts
    from voicebot.campaign.text_dialer import DialogueDialer
    from voicebot.campaign.worker import CampaignWorker
    from voicebot.dialogue.factory import PlanDialogueFactory

    campaign = Campaign(client, name).require()
    campaign.require_members()
    if settings.dialogue.plan == "scripted":
        # The built-in scripted plan has no text conversation: a manager trying a campaign before
        # choosing a plan gets the shipped sample plans (dialplans/), as the demo does.
        settings = settings.model_copy(deep=True)
        settings.dialogue.plan = str(settings.paths.dialplans_dir)
        log.info("simulate_with_sample_plans", plans=settings.dialogue.plan)
    clock = FakeClock(start)
    cfg = settings.campaign
    campaign.plan(clock, cfg, scripts=CampaignScripts.from_settings(settings))
    campaign.seed(clock, cfg)
    segments = campaign.segment_summary(clock, cfg, examples=0)
    dialer = DialogueDialer(PlanDialogueFactory(settings), TextCustomer(seed), clock, advance_clock=True,
                            opt_outs=lambda: client)
    worker = CampaignWorker(client, name, dialer, cfg, clock, worker_id=f"simulate-{name}",
                            agent_wrap_up_s=settings.supervisor.agent_wrap_up_s)
    worker.run(threading.Event(), poll_s=0.0, exit_when_done=True, advance_clock=True)
    results = load_results(client, name)
    status = campaign.status_report()
    files = write_report(client, name, out_dir, cfg)
    return {"segments": {f"{s['label']} ({k})": s["count"] for k, s in segments["segments"].items()},
            "calls": len(results), "customers": status["customers"],
            "outcomes": dict(Counter(r["result"]["answered_by"] for r in results).most_common()),
            "customer_status": status["by_status"], "callbacks_booked": sum(r["next"] == "callback" for r in results),
            "simulated_until": datetime.fromtimestamp(clock.now(), start.tzinfo).isoformat(timespec="minutes"),
            "report": str(files.html)}


def cmd_simulate(args: Any, settings: Any, client: Any, show: Any) -> int:
    """The CLI's `campaign simulate`: --start (ISO; default tomorrow 09:00 local), --out, --seed."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.campaign.default_timezone)
    start = datetime.fromisoformat(args.start) if args.start else \
        (datetime.now(zone) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    from voicebot.campaign.cli_language import tell

    result = run_simulation(client, args.name, settings, start, args.out or Path("reports") / f"{args.name}-simulated",
                            args.seed)
    show(result)
    tell("simulated", getattr(args, "zh", False), until=result["simulated_until"], calls=result["calls"],
         customers=result["customers"], callbacks=result["callbacks_booked"], report=result["report"])
    return 0
