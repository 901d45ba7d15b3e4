"""A campaign's calling hours, read when each call is placed: changing them needs no re-plan.

``voicebot campaign hours NAME --start 10:00 --end 19:00`` stores them on the campaign (Redis),
so every worker on every host uses the new hours from its next call; without them the config's
``campaign.calling_hours_*`` apply. Customers' preferred windows are stored unclipped and cut to
the hours in force at dial time; a preference for weekends or weekdays (周末 / 工作日) moves the
first call to such a day.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import redis

from voicebot.calling_hours import CallingRules, clock_minutes
from voicebot.campaign.cli_messages import said
from voicebot.config import CampaignConfig
from voicebot.errors import VoicebotError
from voicebot.store.keys import CampaignKeys

_HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


class HoursError(VoicebotError):
    pass


def check_hhmm(text: str) -> str:
    m = _HHMM.match(text.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise said(HoursError, "bad_hhmm", text=text)
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def calling_rules(client: redis.Redis, ck: CampaignKeys, cfg: CampaignConfig) -> CallingRules:
    base = CallingRules.from_config(cfg)
    start, end = client.hmget(ck.meta, ["calling_hours_start", "calling_hours_end"])
    if not start or not end:
        return base
    return replace(base, open_minute=clock_minutes(start), close_minute=clock_minutes(end))


def set_hours(client: redis.Redis, ck: CampaignKeys, start: str | None, end: str | None) -> tuple[str, str] | None:
    """Stores new hours (None, None: back to the config's)."""
    if start is None and end is None:
        client.hdel(ck.meta, "calling_hours_start", "calling_hours_end")
        return None
    if start is None or end is None:
        raise said(HoursError, "hours_both")
    s, e = check_hhmm(start), check_hhmm(end)
    if clock_minutes(s) >= clock_minutes(e):
        raise said(HoursError, "hours_order", start=s, end=e)
    client.hset(ck.meta, mapping={"calling_hours_start": s, "calling_hours_end": e})
    return s, e


def preferred_day_start(ts: float, tz: str, days: str) -> float:
    """The first moment >= ts on a day the customer prefers (偏好联系时间 周末 / 工作日); ts itself
    when any day will do. Holidays and hours are left to ``CallingRules.next_allowed``."""
    if days not in ("weekend", "weekday"):
        return ts
    zone = ZoneInfo(tz)
    local = datetime.fromtimestamp(ts, zone)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        if (day.weekday() >= 5) == (days == "weekend"):
            return ts if offset == 0 else datetime.combine(day, time(0), zone).timestamp()
    return ts
