"""Campaign lifecycle in Redis: create, plan (segments + per-customer plans), seed first calls, status."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import redis

from voicebot.campaign import keys
from voicebot.campaign.clock import Clock
from voicebot.campaign.customers import CustomerStore, DoNotCallList
from voicebot.campaign.dialer import CallJob
from voicebot.campaign.plans import CustomerPlan, plans_for
from voicebot.campaign.queue import JobQueue
from voicebot.campaign.scheduler import CallingRules
from voicebot.config import CampaignConfig
from voicebot.dialogue.personalize import FIELD_ALIASES
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

if TYPE_CHECKING:
    from voicebot.campaign.scripts import CampaignScripts

log = get_logger("voicebot.campaign")
STATUSES = ("created", "planned", "running", "paused", "done")
# Customer fields a dialogue may use; the rest of the CRM record stays in Redis.
_DIALOGUE_FIELDS = tuple(dict.fromkeys(("name", "crm_id", "points", "member", "categories", "channel", "persona",
                                         *(c for cols in FIELD_ALIASES.values() for c in cols))))


class CampaignError(VoicebotError):
    pass


class Campaign:
    def __init__(self, client: redis.Redis, name: str) -> None:
        self.client, self.name = client, name
        self.ck = keys.CampaignKeys(name)

    def exists(self) -> bool:
        return bool(self.client.exists(self.ck.meta))

    def require(self) -> Campaign:
        if not self.exists():
            raise CampaignError(f"campaign {self.name!r} does not exist; create it with `voicebot campaign create {self.name}`")
        return self

    def create(self, description: str = "", locale: str = "zh-CN") -> None:
        if self.exists():
            raise CampaignError(f"campaign {self.name!r} already exists")
        self.client.hset(self.ck.meta, mapping={"status": "created", "created": f"{time.time():.0f}",
                                                "description": description, "locale": locale})
        self.client.sadd(keys.CAMPAIGNS, self.name)

    @property
    def status(self) -> str:
        return self.client.hget(self.ck.meta, "status") or "missing"

    def set_status(self, status: str) -> None:
        assert status in STATUSES
        self.client.hset(self.ck.meta, "status", status)

    def add_members(self, customer_ids: list[str]) -> None:
        if customer_ids:
            self.client.sadd(self.ck.members, *customer_ids)

    def members(self) -> list[str]:
        return sorted(self.client.smembers(self.ck.members))

    def require_members(self) -> list[str]:
        ids = self.require().members()
        if not ids:
            raise CampaignError(f"campaign {self.name!r} has no customers; import some with --campaign {self.name}")
        return ids

    def plan(self, clock: Clock, cfg: CampaignConfig, kmeans_k: int = 0,
             scripts: CampaignScripts | None = None) -> list[CustomerPlan]:
        """Segments every member and stores its plan; progress fields of planned customers are kept.
        ``scripts``: the dialplans calls will use; their script variants become each segment's A/B
        arms, and the customer fields their lines use are checked against the customers' columns."""
        ids = self.require_members()
        records = CustomerStore(self.client).get_many(ids)
        ids = [r["id"] for r in records]
        rules = CallingRules.from_config(cfg)
        today = datetime.fromtimestamp(clock.now(), ZoneInfo(cfg.default_timezone)).date()
        locale = self.client.hget(self.ck.meta, "locale") or "zh-CN"
        arms = None
        if scripts is not None:
            known: dict[tuple[str, str], list[str]] = {}

            def arms(segment: str, dialplan: str) -> list[str]:  # one lookup per segment, not per customer
                if (segment, dialplan) not in known:
                    known[segment, dialplan] = scripts.arms(dialplan, locale, segment)
                return list(known[segment, dialplan])
        plans = plans_for(ids, records, today, rules.open_hour, rules.close_hour, kmeans_k, arms)
        if scripts is not None and plans:
            errors, warnings = scripts.check_fields({p.dialplan for p in plans}, locale, records)
            if errors:
                raise CampaignError("the dialplan's script lines use customer fields some customers lack:\n"
                                    + "\n".join(errors))
            for warning in warnings:
                log.warning("script_field_missing", detail=warning)
            from voicebot.campaign.bandit import ScriptBandit

            bandit = ScriptBandit(self.client, self.ck)
            for segment, variants in {p.segment: p.variants for p in plans}.items():
                bandit.declare(segment, variants)
        for start in range(0, len(plans), 1000):
            pipe = self.client.pipeline(transaction=False)
            for p in plans[start:start + 1000]:
                pipe.hset(self.ck.state(p.customer_id), mapping=p.to_fields())
                pipe.hsetnx(self.ck.state(p.customer_id), "status", "planned")
            pipe.execute()
        if self.status == "created":
            self.set_status("planned")
        return plans

    def unplanned(self) -> int:
        """Members imported after the last plan."""
        ids = self.members()
        pipe = self.client.pipeline(transaction=False)
        for cid in ids:
            pipe.hexists(self.ck.state(cid), "segment")
        return sum(1 for planned in pipe.execute() if not planned)

    def seed(self, clock: Clock, cfg: CampaignConfig) -> int:
        """Schedules attempt 1 for every planned customer not yet scheduled; safe to repeat."""
        self.require()
        rules = CallingRules.from_config(cfg)
        queue = JobQueue(self.client, self.ck, cfg.visibility_timeout_s)
        now = clock.now()
        store = CustomerStore(self.client)
        seeded = 0
        ids = self.members()
        campaign_locale = self.client.hget(self.ck.meta, "locale") or "zh-CN"  # for customers without one
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            pipe = self.client.pipeline(transaction=False)
            for cid in chunk:
                pipe.hgetall(self.ck.state(cid))
            states = pipe.execute()
            customers = {c["id"]: c for c in store.get_many(chunk)}
            phones = [c["phone"] for c in customers.values()]
            blocked = {p for p, hit in zip(phones, self.client.smismember(keys.DNC, phones)) if hit} if phones else set()
            pipe = self.client.pipeline(transaction=False)
            for cid, state in zip(chunk, states):
                if state.get("status") != "planned" or cid not in customers:
                    continue
                customer = customers[cid]
                if customer["phone"] in blocked:
                    pipe.hset(self.ck.state(cid), mapping={"status": "do_not_call", "final": "1"})
                    continue
                job = make_job(self.name, {**customer, "locale": customer.get("locale") or campaign_locale},
                               state, attempt=1, kind="first")
                window = (int(state["window_start_hour"]), int(state["window_end_hour"]))
                # Priority breaks ties among customers due at the same moment (ms, never delays a call).
                due = rules.next_allowed(now, job.timezone, window) + int(state.get("priority", 4)) * 1e-3
                queue.schedule(job, due, pipe)
                pipe.hset(self.ck.state(cid), mapping={"status": "scheduled", "next_at": f"{due:.0f}", "attempts": 0})
                seeded += 1
            pipe.execute()
        if seeded:
            self.set_status("running")
        return seeded

    def status_report(self) -> dict[str, Any]:
        self.require()
        meta = self.client.hgetall(self.ck.meta)
        ids = self.members()
        pipe = self.client.pipeline(transaction=False)
        for cid in ids:
            pipe.hmget(self.ck.state(cid), ["status", "segment"])
        rows = pipe.execute()
        queue = JobQueue(self.client, self.ck)
        return {
            "campaign": self.name, "status": meta.get("status"), "customers": len(ids),
            "by_status": dict(Counter(r[0] or "unplanned" for r in rows)),
            "by_segment": dict(Counter(r[1] or "unplanned" for r in rows)),
            "queue": queue.counts(), "in_flight": int(self.client.zcard(self.ck.inflight)),
            "calls_made": int(meta.get("n_calls", 0)), "answered_by_human": int(meta.get("n_human", 0)),
            "transfers": int(meta.get("n_transfers", 0)), "follow_ups": int(self.client.zcard(self.ck.followups)),
            "do_not_call_list": DoNotCallList(self.client).size(),
            "script_ab": self._bandit_summary(),
        }

    def _bandit_summary(self) -> dict[str, list[dict[str, Any]]]:
        from voicebot.campaign.bandit import ScriptBandit

        bandit = ScriptBandit(self.client, self.ck)
        return {seg: [{"variant": s.variant, "trials": s.trials, "rate": round(s.rate, 3),
                       "ci95": [round(s.ci_low, 3), round(s.ci_high, 3)], "p_best": round(s.p_best, 3)}
                      for s in bandit.stats(seg, draws=1000)] for seg in bandit.segments()}


def make_job(campaign: str, customer: dict[str, Any], state: dict[str, str], attempt: int, kind: str) -> CallJob:
    cid = customer["id"]
    return CallJob(
        campaign=campaign, job_id=f"{cid}:{attempt}", customer_id=cid, phone=customer["phone"], attempt=attempt,
        kind=kind, segment=state.get("segment", "general"), dialplan=state.get("dialplan", "scripted"),
        script_variant="", offer=state.get("offer", ""), locale=customer.get("locale") or "zh-CN",
        timezone=customer.get("timezone") or "Asia/Shanghai",
        customer={k: customer[k] for k in _DIALOGUE_FIELDS if customer.get(k) not in (None, "", [])},
    )
