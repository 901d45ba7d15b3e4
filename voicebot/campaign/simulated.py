"""A Dialer that places no call: the outcome follows the customer's ``persona`` field.

For tests, demos (`voicebot campaign start --simulate`) and load runs. Personas:
interested, price_sensitive, refuse, busy, no_answer, voicemail, stop_calling, callback,
invalid, transfer, complaint, busy_then_answer; anything else (or none) = "ab": the callee hangs
up before the pitch with probability 1 - ``pitch_reach``, else the call succeeds (grade B) with the
probability given for the script variant in ``variant_rates``.
"""

from __future__ import annotations

import hashlib
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from voicebot.campaign.clock import Clock
from voicebot.campaign.dialer import CallJob, CallResult

PERSONAS = ["interested", "price_sensitive", "refuse", "busy", "no_answer", "voicemail", "stop_calling",
            "callback", "invalid", "transfer", "complaint", "busy_then_answer"]


class SimulatedDialer:
    def __init__(self, clock: Clock, variant_rates: dict[str, float] | None = None, default_rate: float = 0.2,
                 call_seconds: float = 0.0, seed: int = 0, pitch_reach: float = 1.0) -> None:
        self.clock, self.variant_rates, self.default_rate = clock, variant_rates or {}, default_rate
        self.pitch_reach = pitch_reach
        self.call_seconds, self.seed = call_seconds, seed

    def _rng(self, job: CallJob) -> random.Random:
        digest = hashlib.sha1(f"{self.seed}:{job.job_id}:{job.script_variant}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def dial(self, job: CallJob) -> CallResult:
        if self.call_seconds:
            time.sleep(self.call_seconds)  # a call in flight (lets tests kill a worker mid-call)
        persona = str(job.customer.get("persona", "ab"))
        rng = self._rng(job)

        def human(grade: str, turns: int, **kw) -> CallResult:
            return CallResult("human", grade, turns=turns, duration_s=turns * 9.0, hung_up_by=kw.pop("hung_up_by", "bot"), **kw)

        if persona == "interested":
            return human("A", 8, converted=True, tags=["interested"])
        if persona == "price_sensitive":
            return human("B", 6, tags=["price_question"])
        if persona == "refuse":
            return human("D", 2, hung_up_by="remote", tags=["not_interested"])
        if persona in ("busy", "no_answer", "voicemail", "invalid"):
            return CallResult(persona, duration_s=20.0 if persona == "voicemail" else 0.0)  # type: ignore[arg-type]
        if persona == "busy_then_answer":
            return CallResult("busy") if job.attempt == 1 else human("B", 5)
        if persona == "stop_calling":
            return human("D", 2, do_not_call=True, tags=["stop_calling"], hung_up_by="remote")
        if persona == "complaint":
            return human("D", 3, do_not_call=True, complaint=True, tags=["complaint"], hung_up_by="remote")
        if persona == "transfer":
            return human("A", 5, transferred=True, transfer_reason="complex_question")
        if persona == "callback":
            if job.kind == "callback":
                return human("B", 6, tags=["called_back"])
            return human("C", 3, callback_at=self.tomorrow_at(job, 15), tags=["callback_requested"])
        if rng.random() >= self.pitch_reach:
            return human(None, 1, hung_up_by="remote", pitch_delivered=False, variant=job.script_variant)
        rate = self.variant_rates.get(job.script_variant, self.default_rate)
        success = rng.random() < rate
        return human("B" if success else "C", rng.randint(3, 9), pitch_delivered=True, variant=job.script_variant)

    def tomorrow_at(self, job: CallJob, hour: int) -> float:
        """What a callee says: "call me tomorrow at 3 pm" (their local time)."""
        local = datetime.fromtimestamp(self.clock.now(), ZoneInfo(job.timezone))
        return (local + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0).timestamp()
