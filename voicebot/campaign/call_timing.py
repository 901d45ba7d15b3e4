"""When one customer may be called: their own window and avoided hours (stored at planning), the
end of the campaign's calling day, and the timing facts the bot is given before a call so that a
callback it offers is one the campaign will keep (the daily call budget, today's calling hours,
the callbacks still allowed)."""

from __future__ import annotations

from datetime import datetime, time as dtime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis

from voicebot.calling_hours import CallingRules
from voicebot.config import CampaignConfig
from voicebot.store import keys


def preferred_window(state: dict[str, str]) -> tuple[int, int] | None:
    """Hours the customer asked to be called in (start, end), from their stored state."""
    if "window_start_hour" in state:
        return int(state["window_start_hour"]), int(state["window_end_hour"])
    return None


def avoided_hours(state: dict[str, str]) -> tuple[int, int] | None:
    """Hours the customer's calling note excluded (中午别打), stored at planning."""
    if state.get("avoid_start_hour"):
        return int(state["avoid_start_hour"]), int(state["avoid_end_hour"])
    return None


def end_of_calling_day(now: float, rules: CallingRules, zone_name: str) -> float:
    """When today's calling hours close (campaign zone); now itself when they already have."""
    zone = ZoneInfo(zone_name)
    local = datetime.fromtimestamp(now, zone)
    end = datetime.combine(local.date(), dtime(0), zone) + timedelta(minutes=rules.close_minute)
    return max(now, end.timestamp())


def daily_budget_free_at(client: redis.Redis, phone: str, now: float, max_calls_per_day: int) -> float:
    """When a further call is allowed if this one is answered (0 = any time)."""
    # This call is already in the record (held when the gate allowed it).
    times = [t for _, t in client.zrangebyscore(keys.number_calls(phone), f"({now - 86400}", "+inf", withscores=True)]
    return times[-max_calls_per_day] + 86400 if len(times) >= max_calls_per_day else 0.0


def callback_facts(client: redis.Redis, phone: str, state: dict[str, str], rules: CallingRules, cfg: CampaignConfig,
                   now: float) -> dict[str, Any]:
    """Put on the job's customer before dialling: what the bot says about a callback is then what
    gets booked."""
    return {
        # The soonest a callback could be placed after this call under max_calls_per_day.
        "callback_not_before": daily_budget_free_at(client, phone, now, cfg.max_calls_per_day),
        # Hours as they are now (changed by `campaign hours`), and how many callbacks max_callbacks
        # still allows (0: the bot must not promise one).
        "calling_hours_start": f"{rules.open_minute // 60:02d}:{rules.open_minute % 60:02d}",
        "calling_hours_end": f"{rules.close_minute // 60:02d}:{rules.close_minute % 60:02d}",
        "callbacks_left": max(0, cfg.max_callbacks - int(state.get("callbacks", 0))),
    }
