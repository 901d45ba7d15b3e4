"""Campaign KPIs from the results stream, overall and by segment, script variant and day.

Definitions (per call attempt unless said otherwise):
connect rate = answered (human or voicemail) / attempts; human rate = human / attempts;
average turns, intent share (grade A+B), conversion, transfers, complaints and opt-outs are
per human-answered call; calls per hour = attempts / hours between first and last call.
Cost = talk minutes x cost_per_minute + transfers x agent handle time x cost_per_agent_hour, in
the campaign's currency (``costs.unit_costs``: configured, else labelled estimates).
Satisfaction: survey CSAT and the inferred score, apart (``satisfaction``).
Manual baseline (seed: an agent makes 80-120 effective calls a day): one agent-day costs
hours x cost_per_agent_hour plus the same talk minutes, for ``manual_calls_per_agent_day``
human-answered calls with the same lead rate.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import redis

from voicebot.campaign.costs import UnitCosts, unit_costs
from voicebot.campaign.satisfaction import satisfaction
from voicebot.config import CampaignConfig
from voicebot.store.keys import CampaignKeys


def load_results(client: redis.Redis, campaign: str) -> list[dict[str, Any]]:
    out = []
    last = "-"
    stream = CampaignKeys(campaign).results
    while True:
        batch = client.xrange(stream, min=last, count=5000)
        if last != "-":
            batch = batch[1:]  # min is inclusive
        if not batch:
            return out
        out.extend(json.loads(fields["json"]) for _id, fields in batch)
        last = batch[-1][0]


@dataclass
class Kpis:
    attempts: int = 0
    answered: int = 0
    human: int = 0
    connect_rate: float = 0.0
    human_rate: float = 0.0
    avg_turns: float = 0.0
    intent_customers: int = 0
    intent_share: float = 0.0
    conversions: int = 0
    conversion_rate: float = 0.0
    transfers: int = 0
    transfer_reasons: dict[str, int] = field(default_factory=dict)
    complaints: int = 0
    opt_outs: int = 0
    calls_per_hour: float = 0.0
    talk_minutes: float = 0.0
    cost: float = 0.0
    cost_per_lead: float | None = None
    manual_cost_per_lead: float | None = None
    cost_vs_manual: float | None = None  # seed target: <= 0.6
    outcomes: dict[str, int] = field(default_factory=dict)
    grades: dict[str, int] = field(default_factory=dict)
    currency: str = ""
    csat_n: int = 0
    csat_score: float | None = None  # % of survey answers 4-5 (seed target >= 85)
    inferred_n: int = 0
    inferred_satisfaction: float | None = None  # 0-100, from emotions and outcome: an estimate

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute(results: list[dict[str, Any]], cfg: CampaignConfig, costs: UnitCosts | None = None) -> Kpis:
    costs = costs or unit_costs(cfg)
    k = Kpis(attempts=len(results), currency=costs.currency)
    if not results:
        return k
    sat = satisfaction(results)
    k.csat_n, k.csat_score = sat.csat_n, sat.csat_score
    k.inferred_n, k.inferred_satisfaction = sat.inferred_n, sat.inferred_score
    turns = 0
    reasons: Counter[str] = Counter()
    for r in results:
        res = r["result"]
        k.outcomes[res["answered_by"]] = k.outcomes.get(res["answered_by"], 0) + 1
        if res["answered_by"] in ("human", "voicemail"):
            k.answered += 1
        k.talk_minutes += res.get("duration_s", 0.0) / 60
        if res["answered_by"] != "human":
            continue
        k.human += 1
        turns += res.get("turns", 0)
        grade = res.get("intent_grade") or "-"
        k.grades[grade] = k.grades.get(grade, 0) + 1
        k.intent_customers += grade in ("A", "B")
        k.conversions += bool(res.get("converted"))
        if res.get("transferred"):
            k.transfers += 1
            reasons[res.get("transfer_reason") or "unspecified"] += 1
        k.complaints += bool(res.get("complaint"))
        k.opt_outs += bool(res.get("do_not_call"))
    k.transfer_reasons = dict(reasons)
    k.connect_rate = k.answered / k.attempts
    k.human_rate = k.human / k.attempts
    if k.human:
        k.avg_turns = turns / k.human
        k.intent_share = k.intent_customers / k.human
        k.conversion_rate = k.conversions / k.human
    span_h = (max(r["ended"] for r in results) - min(r["started"] for r in results)) / 3600
    k.calls_per_hour = k.attempts / span_h if span_h > 0 else float(k.attempts)
    agent_hours = k.transfers * cfg.agent_handle_s / 3600
    k.cost = k.talk_minutes * costs.per_minute + agent_hours * costs.agent_hour
    if k.intent_customers:
        k.cost_per_lead = k.cost / k.intent_customers
        minutes_per_call = k.talk_minutes / max(k.human, 1)
        manual_cost_per_call = (cfg.manual_agent_hours_per_day * costs.agent_hour / cfg.manual_calls_per_agent_day
                                + minutes_per_call * costs.per_minute)
        k.manual_cost_per_lead = manual_cost_per_call / k.intent_share
        k.cost_vs_manual = k.cost_per_lead / k.manual_cost_per_lead
    return k


def _day(tz: str) -> Callable[[dict[str, Any]], str]:
    zone = ZoneInfo(tz)
    return lambda r: datetime.fromtimestamp(r["started"], zone).date().isoformat()


def breakdown(results: list[dict[str, Any]], cfg: CampaignConfig,
              costs: UnitCosts | None = None) -> dict[str, dict[str, Kpis]]:
    """KPIs by segment, by segment/variant and by (campaign time zone) day."""
    keyers: dict[str, Callable[[dict[str, Any]], str]] = {
        "segment": lambda r: r["segment"],
        "variant": lambda r: f"{r['segment']}/{r['variant'] or '-'}",
        "day": _day(cfg.default_timezone),
    }
    out: dict[str, dict[str, Kpis]] = {}
    for name, key in keyers.items():
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in results:
            groups[key(r)].append(r)
        out[name] = {g: compute(rows, cfg, costs) for g, rows in sorted(groups.items())}
    return out
