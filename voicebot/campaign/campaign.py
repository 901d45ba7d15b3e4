"""Campaign lifecycle in Redis: create, plan (segments + per-customer plans), seed first calls, status."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import redis

from voicebot.campaign.cli_messages import said
from voicebot.campaign.clock import Clock
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.dialer import CallJob
from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.plans import CustomerPlan, plans_for
from voicebot.campaign.queue import JobQueue
from voicebot.campaign.segment_rules import SegmentRuleSet, default_rules, load_rules
from voicebot.config import CampaignConfig
from voicebot.dialogue.personalize import FIELD_ALIASES
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger
from voicebot.store import keys


class ScriptCatalogue(Protocol):
    """The dialplans a campaign's calls will use (``voicebot.campaign.scripts.CampaignScripts``). A protocol,
    so this module does not import the catalogue, which raises this module's CampaignError."""

    def arms(self, dialplan: str, locale: str, segment: str, strategy: str = "") -> list[str]: ...

    def check_fields(self, dialplan_names: set[str], locale: str,
                     records: list[dict[str, Any]]) -> tuple[list[str], list[str]]: ...


log = get_logger("voicebot.campaign")
STATUSES = ("created", "planned", "running", "paused", "done")
# Customer fields a dialogue may use; the rest of the CRM record stays in Redis.
_DIALOGUE_FIELDS = tuple(dict.fromkeys((
    "name", "crm_id", "points", "member", "categories", "channel", "persona", "gender", "city", "member_level",
    "last_purchase_at", "age", "notes", "spend_12m", "orders_12m", "preferred_time",
    *(c for cols in FIELD_ALIASES.values() for c in cols))))  # what script lines may use (dialogue/personalize.py)


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
            raise said(CampaignError, "no_campaign", name=self.name)
        return self

    def create(self, description: str = "", locale: str = "zh-CN") -> None:
        if self.exists():
            raise said(CampaignError, "campaign_exists", name=self.name)
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
            raise said(CampaignError, "no_customers", name=self.name)
        return ids

    # --- segment rules (a YAML file per campaign, kept in Redis so every worker and host sees it) ---
    def set_segment_rules(self, path: str) -> SegmentRuleSet:
        """Checks the file against this campaign's columns, then stores it; RuleError says file:line."""
        from pathlib import Path

        rule_set = load_rules(Path(path).read_text(encoding="utf-8") if Path(path).exists() else
                              _missing(path), str(path))
        columns = self.columns()
        if columns:  # before any import (campaign create --segments) the check waits for the plan
            rule_set.check_fields(columns)
        self.client.hset(self.ck.meta, mapping={"segment_rules": rule_set.text, "segment_rules_source": str(path)})
        return rule_set

    def segment_rules(self) -> SegmentRuleSet:
        meta = self.client.hmget(self.ck.meta, ["segment_rules", "segment_rules_source"])
        if meta[0]:
            return load_rules(meta[0], meta[1] or "campaign rules")
        return default_rules()

    def columns(self) -> set[str]:
        return set(self.client.smembers(self.ck.columns))

    def segment_summary(self, clock: Clock, cfg: CampaignConfig, examples: int = 3) -> dict[str, Any]:
        """Customers per segment under the campaign's rules, with a few examples each (masked numbers)."""
        from voicebot.masking import mask_text as mask_phone

        records = CustomerStore(self.client).get_many(self.require_members())
        rule_set = self.segment_rules()
        today = datetime.fromtimestamp(clock.now(), ZoneInfo(cfg.default_timezone)).date()
        names = rule_set.assign(records, today, self.columns())
        out: dict[str, Any] = {"rules": rule_set.source, "customers": len(records), "segments": {}}
        for seg in rule_set.names:
            members = [r for r, n in zip(records, names) if n == seg]
            rule = next((r.when for r in rule_set.rules if r.name == seg), "(default)")
            out["segments"][seg] = {
                "label": rule_set.label(seg), "rule": rule, "count": len(members),
                "examples": [{"name": r.get("name", ""), "phone": mask_phone(r.get("phone", "")),
                              **{k: r[k] for k in ("city", "age", "spend_12m", "orders_12m", "last_purchase_at",
                                                    "member_level") if r.get(k) not in (None, "")}}
                             for r in members[:examples]]}
        return out

    def plan(self, clock: Clock, cfg: CampaignConfig, kmeans_k: int = 0,
             scripts: ScriptCatalogue | None = None) -> list[CustomerPlan]:
        """Segments every member and stores its plan; progress fields of planned customers are kept.
        ``scripts``: the dialplans calls will use; their script variants become each segment's A/B
        arms, and the customer fields their lines use are checked against the customers' columns."""
        ids = self.require_members()
        records = CustomerStore(self.client).get_many(ids)
        ids = [r["id"] for r in records]
        today = datetime.fromtimestamp(clock.now(), ZoneInfo(cfg.default_timezone)).date()
        rule_set = self.segment_rules()
        columns = self.columns()
        if columns and self.client.hexists(self.ck.meta, "segment_rules"):  # the default rules allow absent fields
            rule_set.check_fields(columns)
        segments = rule_set.assign(records, today, columns)
        strategy_of = {name: rule_set.strategy(name) for name in rule_set.names}
        locale = self.client.hget(self.ck.meta, "locale") or "zh-CN"
        arms = None
        if scripts is not None:
            known: dict[tuple[str, str, str], list[str]] = {}

            def arms(segment: str, dialplan: str, strategy: str) -> list[str]:  # one lookup per segment
                if (segment, dialplan, strategy) not in known:
                    known[segment, dialplan, strategy] = scripts.arms(dialplan, locale, segment, strategy)
                return list(known[segment, dialplan, strategy])
        # The preferred window is stored as the customer's own preference (0-24 h) and clipped to the
        # calling hours when a call is placed, so changing the hours needs no re-plan.
        plans = plans_for(ids, records, today, 0, 24, kmeans_k, segments=segments, strategy_of=strategy_of, arms=arms)
        if scripts is not None and plans:
            errors, warnings = scripts.check_fields({p.dialplan for p in plans}, locale, records)
            if errors:
                raise said(CampaignError, "fields_lacking", lines=errors)
            for warning in warnings:
                log.warning("script_field_missing", detail=warning)
            from voicebot.campaign.bandit import ScriptBandit

            bandit = ScriptBandit(self.client, self.ck)
            for segment, variants in {p.segment: p.variants for p in plans}.items():
                bandit.declare(segment, variants)
        # Hours the calling note excludes (中午别打): a hard constraint on every call but a callback asked for.
        avoided = {r["id"]: {"avoid_start_hour": r["avoid_hour"], "avoid_end_hour": r["avoid_hour_end"]}
                   for r in records if r.get("avoid_hour") not in (None, "")}
        for start in range(0, len(plans), 1000):
            pipe = self.client.pipeline(transaction=False)
            for p in plans[start:start + 1000]:
                pipe.hset(self.ck.state(p.customer_id), mapping={**p.to_fields(), **avoided.get(p.customer_id, {})})
                if p.customer_id not in avoided:  # a re-import may have dropped the note
                    pipe.hdel(self.ck.state(p.customer_id), "avoid_start_hour", "avoid_end_hour")
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
        from voicebot.campaign.hours import calling_rules, preferred_day_start

        self.require()
        rules = calling_rules(self.client, self.ck, cfg)
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
                start = preferred_day_start(now, job.timezone, customer.get("preferred_days", ""))
                avoid = (int(state["avoid_start_hour"]), int(state["avoid_end_hour"])) \
                    if state.get("avoid_start_hour") else None
                due = rules.next_allowed(start, job.timezone, window, avoid) + int(state.get("priority", 4)) * 1e-3
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


def _missing(path: str) -> str:
    from voicebot.campaign.cli_messages import said
    from voicebot.campaign.rules import RuleError

    raise said(RuleError, "rules_missing", path=path)


def make_job(campaign: str, customer: dict[str, Any], state: dict[str, str], attempt: int, kind: str) -> CallJob:
    cid = customer["id"]
    return CallJob(
        campaign=campaign, job_id=f"{cid}:{attempt}", customer_id=cid, phone=customer["phone"], attempt=attempt,
        kind=kind, segment=state.get("segment", "general"), dialplan=state.get("dialplan", "scripted"),
        script_variant="", offer=state.get("offer", ""), locale=customer.get("locale") or "zh-CN",
        timezone=customer.get("timezone") or "Asia/Shanghai",
        # The dialogue may use any imported column (templates name them by header); never extra numbers.
        customer={**{k: v for k, v in customer.items() if (k in _DIALOGUE_FIELDS or k.startswith("x_"))
                     and v not in (None, "", [])},
                  # a user-defined segment's strategy: what the dialplan's segments may be named after
                  **({"strategy": state["strategy"]} if state.get("strategy") else {})},
    )
