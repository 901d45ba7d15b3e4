"""An honest A/B test of the sample plan's three price-sensitive scripts, and caps that hold for callbacks.

The calls run the real zh dialplan in-process (``DialogueDialer``): the simulated customer reacts
to the pitch it actually hears, so the bandit can only find the best arm if the variants speak
different lines. Everything goes through a real redis-server and the campaign worker.
"""

from __future__ import annotations

import hashlib
import random
import threading
from pathlib import Path

import pytest
from campaign_data import write_customers

from voicebot.campaign import keys
from voicebot.campaign.bandit import ScriptBandit
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.importer import import_customers
from voicebot.campaign.kpi import load_results
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.scripts import CampaignScripts
from voicebot.campaign.text_dialer import DialogueDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import Settings
from voicebot.dialogue.factory import PlanDialogueFactory
from voicebot.dialogue.plan import load_dialplan

ROOT = Path(__file__).resolve().parents[2]
ZH_PLAN = ROOT / "dialplans/outbound_marketing_zh.yaml"
# What the customer hears in each price-sensitive pitch -> the share who want to hear more.
TRUE_RATES = {"周日晚上就截止": 0.12, "买得越多越便宜": 0.32, "直接降价": 0.15}
BEST = "tiered"
HANG_UP_AT_GREETING = 0.1  # wrong numbers: never hear the pitch, so never an A/B trial


class PitchSensitiveCustomer:
    """Answers the zh sample plan: interest depends only on the pitch line it heard. Hangs up once it
    has answered the pitch (the reward, intent grade A/B, is decided by then)."""

    def __init__(self, seed: int = 11) -> None:
        self.seed = seed
        self.heard_pitch: dict[str, str] = {}

    def _rng(self, job: CallJob, salt: str) -> random.Random:
        return random.Random(int.from_bytes(hashlib.sha1(f"{self.seed}:{job.job_id}:{salt}".encode()).digest()[:8], "big"))

    def __call__(self, job: CallJob, lines: list[str]) -> str | None:
        said = " ".join(lines)
        state = self.heard_pitch.get(job.job_id, "")
        if "请问是" in said and not state:
            if self._rng(job, "wrong").random() < HANG_UP_AT_GREETING:
                return "你打错了"
            self.heard_pitch[job.job_id] = "greeted"
            return "对，是我"
        if "占用您一分钟" in said:
            return "可以"
        hook = next((h for h in TRUE_RATES if h in said), None)
        if hook is not None:
            likes = self._rng(job, "pitch").random() < TRUE_RATES[hook]
            self.heard_pitch[job.job_id] = "likes" if likes else "dislikes"
            return "好的你说" if likes else "不需要，谢谢"
        return None  # answered the pitch (interested: grade B at details; not: C): hangs up


@pytest.fixture(scope="module")
def zh_dialogues() -> PlanDialogueFactory:
    settings = Settings()
    settings.dialogue.plan = str(ZH_PLAN)
    return PlanDialogueFactory(settings)


@pytest.mark.slow  # ~8 s of CPU (700 calls through the real NLU); 25-40 s on the shared machine
def test_ab_run_on_three_real_scripts_finds_the_best(redis_client, tmp_path, clock, cfg, zh_dialogues):
    n = 700
    camp = Campaign(redis_client, "ab")
    camp.create("A/B of the price-sensitive scripts", locale="zh-CN")
    path = write_customers(tmp_path / "customers.csv", ["price_sensitive"] * n)
    import_customers(redis_client, path, ColumnMapping.identity(), campaign="ab")
    plans = camp.plan(clock, cfg, scripts=CampaignScripts([load_dialplan(ZH_PLAN)]))
    assert {tuple(p.variants) for p in plans} == {("limited-time", "tiered", "price-drop")}  # the plan's arms
    camp.seed(clock, cfg)
    callee = PitchSensitiveCustomer()
    dialer = DialogueDialer(zh_dialogues, callee, clock, opt_outs=lambda: redis_client)
    worker = CampaignWorker(redis_client, "ab", dialer, cfg, clock, worker_id="ab")
    worker.bandit.rng = random.Random(5)
    worker.run(threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)

    results = load_results(redis_client, "ab")
    assert len(results) == n
    pitched = [r for r in results if r["result"]["pitch_delivered"]]
    assert 0.8 * n < len(pitched) < n  # wrong numbers hung up at the greeting
    # The variant the dialogue spoke is the one the bandit chose, and the callee heard its pitch.
    assert all(r["result"]["variant"] == r["variant"] for r in pitched)
    stats = {s.variant: s for s in ScriptBandit(redis_client, camp.ck).stats("price_sensitive")}
    assert set(stats) == {"limited-time", "tiered", "price-drop"}
    assert sum(s.trials for s in stats.values()) == len(pitched)  # only calls that heard the pitch count
    assert sum(s.successes for s in stats.values()) == sum(r["result"]["intent_grade"] in ("A", "B") for r in pitched)
    assert stats[BEST].p_best >= 0.95, stats
    assert all(s.trials >= 10 for s in stats.values())  # the others kept being measured
    assert stats[BEST].ci_low <= 0.32 <= stats[BEST].ci_high


def test_p_best_covers_untried_arms(redis_client):
    bandit = ScriptBandit(redis_client, keys.CampaignKeys("prior"))
    bandit.declare("general", ["a", "b", "c"])
    bandit.record("general", "a", False)
    stats = {s.variant: s for s in bandit.stats("general")}
    assert set(stats) == {"a", "b", "c"} and stats["a"].trials == 1 and stats["b"].trials == 0
    assert stats["a"].p_best < 0.3 and abs(sum(s.p_best for s in stats.values()) - 1) < 1e-9
    bandit.record("general", "b", True)
    assert max(s.p_best for s in bandit.stats("general")) < 0.95  # one lucky call is no certainty


class CallMeBackSoon:
    """The bug report's customer: answers every call and asks to be called again 15 s later."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.not_before: list[float] = []  # what the dialogue is told: the soonest callback the budget allows

    def dial(self, job: CallJob) -> CallResult:
        self.not_before.append(job.customer["callback_not_before"])
        return CallResult("human", "C", turns=3, callback_at=self.clock.now() + 15)


def test_frequency_cap_and_attempt_limits_hold_across_callbacks(redis_client, tmp_path, clock, cfg):
    cfg = cfg.model_copy(update={"max_calls_per_day": 2, "max_callbacks": 8, "callback_min_delay_s": 0.0})
    camp = Campaign(redis_client, "soon")
    camp.create()
    import_customers(redis_client, write_customers(tmp_path / "c.csv", ["refuse"]), ColumnMapping.identity(), campaign="soon")
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    dialer = CallMeBackSoon(clock)
    worker = CampaignWorker(redis_client, "soon", dialer, cfg, clock, worker_id="w")
    worker.run(threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)
    calls = sorted(r["started"] for r in load_results(redis_client, "soon"))
    # Never more than two calls in any 24 hours, callbacks included ...
    assert all(sum(1 for t in calls if s <= t < s + 86400) <= 2 for s in calls), calls
    assert calls[1] - calls[0] < 60  # the callback the customer asked for skipped the 5-day cap ...
    assert calls[2] - calls[0] >= 86400  # ... but not the daily one
    # ... and the callbacks stop at max_callbacks.
    assert len(calls) == 1 + cfg.max_callbacks
    # The dialogue knew: on the day's second call, the soonest callback it may offer is tomorrow.
    assert dialer.not_before[0] == 0 and dialer.not_before[1] == calls[0] + 86400
