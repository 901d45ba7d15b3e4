"""Wallboard figures: today's totals from the event stream, folded incrementally, plus the live board.

The first request of the day reads the stream from local midnight; later ones only read what was
added since (``xrange`` from the last id). A malformed event is skipped like everywhere else.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from voicebot.config import WallboardConfig
from voicebot.store.events import EVENTS_STREAM
from voicebot.store.records import MAX_CALL_S, BadRecord, log_skipped, parse_event
from voicebot.supervisor.live import LiveCall

READ_BATCH = 5000


@dataclass
class DayTotals:
    day: str
    last_id: str
    started: int = 0
    ended: int = 0
    handle_s: list[float] = field(default_factory=list)
    human: int = 0
    escalated: set[str] = field(default_factory=set)
    failed_transfers: int = 0
    reply_ms: list[float] = field(default_factory=list)
    answered_at: dict[str, float] = field(default_factory=dict)
    read_any: bool = False


def _midnight_id(now: float) -> str:
    midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return f"{int(midnight.timestamp() * 1000)}-0"


class Wallboard:
    def __init__(self, client: redis.Redis, cfg: WallboardConfig) -> None:
        self.client, self.cfg = client, cfg
        self.totals: DayTotals | None = None
        self._lock = threading.Lock()

    def _update(self, now: float) -> DayTotals:
        day = datetime.fromtimestamp(now).date().isoformat()
        if self.totals is None or self.totals.day != day:
            self.totals = DayTotals(day, _midnight_id(now))
        t = self.totals
        while True:
            # From midnight inclusive the first time, then strictly after the last entry read.
            entries = self.client.xrange(EVENTS_STREAM, min=f"({t.last_id}" if t.read_any else t.last_id,
                                         count=READ_BATCH)
            t.read_any = t.read_any or bool(entries)
            for entry_id, fields in entries:
                t.last_id = entry_id
                try:
                    self._fold(t, parse_event(fields.get("json")))
                except (BadRecord, TypeError, AttributeError) as exc:
                    log_skipped("event", entry_id, exc)
            if len(entries) < READ_BATCH:
                return t

    @staticmethod
    def _fold(t: DayTotals, ev: dict[str, Any]) -> None:
        kind, cid = ev["type"], ev["call_id"]
        if kind == "call_started":
            t.started += 1
        elif kind == "call_answered":
            t.answered_at[cid] = ev["ts"]
        elif kind == "reply_latency":
            t.reply_ms.append(float(ev.get("latency_ms") or 0.0))
        elif kind == "escalation":
            t.escalated.add(cid)
        elif kind == "call_ended":
            t.ended += 1
            outcome = ev.get("outcome") or {}
            answered = t.answered_at.pop(cid, 0.0)
            if answered and 0.0 <= ev["ts"] - answered <= MAX_CALL_S:  # a wrong clock must not poison AHT
                t.handle_s.append(ev["ts"] - answered)
            if outcome.get("answered_by") == "human":
                t.human += 1
            if outcome.get("escalation"):
                t.escalated.add(cid)
            transfer = outcome.get("transfer")
            if isinstance(transfer, dict) and transfer.get("ok") is False:
                t.failed_transfers += 1

    def figures(self, rows: list[LiveCall], agents: dict[str, Any] | None = None,
                now: float | None = None) -> dict[str, Any]:
        """``agents``: the dialer's view of human agents (routes_campaigns.agents_now)."""
        now = now or time.time()
        with self._lock:
            t = self._update(now)
            live = [r for r in rows if r.live]
            waiting = sum(1 for r in live if r.waiting)
            free = agents_free(agents)
            aht = sum(t.handle_s) / len(t.handle_s) if t.handle_s else None
            c = self.cfg
            tiles = {
                "active": {"value": len(live) - waiting},
                "waiting": {"value": waiting, "level": _level(waiting, c.waiting_amber, c.waiting_red)},
                "aht": {"value": aht, "unit": "s",
                        "level": _level(aht, c.handle_time_amber_s, c.handle_time_red_s)},
                "escalations": {"value": len(t.escalated),
                                "level": _level(len(t.escalated), c.escalations_amber, c.escalations_red)},
                "failed_transfers": {"value": t.failed_transfers,
                                     "level": _level(t.failed_transfers, c.failed_transfers_amber,
                                                     c.failed_transfers_red)},
                "agents_free": {"value": free, "level": "red" if free == 0 else "ok"},
                "calls_today": {"value": t.started, "plan": c.calls_plan_per_day or None,
                                "level": _plan_level(t.started, c.calls_plan_per_day, now)},
                "answered_rate": {"value": (t.human / t.ended) if t.ended else None, "unit": "%"},
                "avg_reply": {"value": (sum(t.reply_ms) / len(t.reply_ms)) if t.reply_ms else None, "unit": "ms"},
            }
            return {"day": t.day, "tiles": tiles, "updated": now}


def agents_free(agents: dict[str, Any] | None) -> int | None:
    """Agents minus those busy, as the dialer counts them (routes_campaigns.agents_now): live calls
    being transferred (inbound ones and console transfers included), transfers within their handle
    time after the call, and wrap-ups."""
    if not agents or not agents["agents"]:
        return None
    return max(0, agents["agents"] - agents["busy"])


def _level(value: float | None, amber: float, red: float) -> str:
    if value is None:
        return "ok"
    return "red" if value >= red else "amber" if value >= amber else "ok"


def _plan_level(done: int, plan: int, now: float) -> str:
    """Behind plan by more than a fifth of the pace expected at this hour (08:00-20:00) is amber."""
    if not plan:
        return "ok"
    hour = datetime.fromtimestamp(now).hour + datetime.fromtimestamp(now).minute / 60
    expected = plan * min(1.0, max(0.0, (hour - 8) / 12))
    return "amber" if expected and done < 0.8 * expected else "ok"
