"""Calling hours: when a customer may be called (local hours, holidays, the customer's own window).

One table for the campaign scheduler, the compliance gate and the dialogue (a callback the customer asks for
is moved into these hours), so it sits on the bottom floor, below all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from voicebot.config import CampaignConfig


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def clock_minutes(hhmm: str) -> int:
    """"09:30" -> 570, minutes after midnight."""
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


@dataclass(frozen=True)
class CallingRules:
    open_minute: int = 9 * 60
    close_minute: int = 20 * 60
    holidays: frozenset[date] = frozenset()
    default_tz: str = "Asia/Shanghai"
    prefer_within_days: int = 2
    search_days: int = 30
    public_holidays: bool = True  # China's statutory holidays are days off for customers in China

    @classmethod
    def from_config(cls, cfg: CampaignConfig) -> CallingRules:
        return cls(clock_minutes(cfg.calling_hours_start), clock_minutes(cfg.calling_hours_end),
                   frozenset(date.fromisoformat(d) for d in cfg.holidays), cfg.default_timezone,
                   public_holidays=not cfg.call_on_public_holidays)

    def day_off(self, d: date, zone: ZoneInfo) -> bool:
        """A configured holiday, or a 法定节假日 for a customer in China (weekends are calling days,
        so 调休 make-up working weekends need nothing)."""
        return d in self.holidays or (self.public_holidays and zone.key in _CHINA_ZONES and _statutory(d))

    @property
    def open_hour(self) -> int:
        return self.open_minute // 60

    @property
    def close_hour(self) -> int:
        return -(-self.close_minute // 60)

    def zone(self, tz: str | None) -> ZoneInfo:
        return _zone(tz or self.default_tz)

    def is_allowed(self, ts: float, tz: str | None = None, avoid: tuple[int, int] | None = None) -> bool:
        """Inside calling hours on a working day, and outside the hours the customer excluded."""
        local = datetime.fromtimestamp(ts, self.zone(tz))
        minute = local.hour * 60 + local.minute
        if avoid is not None and avoid[0] * 60 <= minute < avoid[1] * 60:
            return False
        return not self.day_off(local.date(), self.zone(tz)) and self.open_minute <= minute < self.close_minute

    def next_allowed(self, ts: float, tz: str | None = None, window: tuple[int, int] | None = None,
                     avoid: tuple[int, int] | None = None) -> float:
        """Earliest time >= ts inside calling hours and outside ``avoid`` (the customer's 中午别打);
        inside the preferred (start, end) hour window if one comes within ``prefer_within_days``."""
        zone = self.zone(tz)
        if window is not None:
            lo, hi = max(self.open_minute, window[0] * 60), min(self.close_minute, window[1] * 60)
            if lo < hi:
                found = self._first_slot(ts, zone, lo, hi, self.prefer_within_days + 1, avoid)
                if found is not None:
                    return found
        found = self._first_slot(ts, zone, self.open_minute, self.close_minute, self.search_days, avoid)
        if found is None:
            found = self._first_slot(ts, zone, self.open_minute, self.close_minute, self.search_days)
        if found is None:
            raise ValueError(f"no allowed calling time in the {self.search_days} days after {ts}")
        return found

    def _first_slot(self, ts: float, zone: ZoneInfo, lo: int, hi: int, days: int,
                    avoid: tuple[int, int] | None = None) -> float | None:
        day = datetime.fromtimestamp(ts, zone).date()
        for offset in range(days):
            d = day + timedelta(days=offset)
            if self.day_off(d, zone):
                continue
            for a, b in _minus(lo, hi, avoid):
                start = datetime.combine(d, time(a // 60, a % 60), zone).timestamp()
                end = datetime.combine(d, time(b // 60 % 24, b % 60), zone).timestamp() if b < 1440 else \
                    datetime.combine(d + timedelta(days=1), time(0), zone).timestamp()
                if ts < end:
                    return max(ts, start)
        return None


_CHINA_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "Asia/Urumqi", "PRC"})


@lru_cache(maxsize=2048)
def _statutory(d: date) -> bool:
    """A named statutory holiday (a weekend alone has no name); unknown years count as working."""
    try:
        from chinese_calendar import get_holiday_detail
    except ImportError:
        return False
    try:
        on_holiday, name = get_holiday_detail(d)
    except NotImplementedError:  # a year the package does not cover yet
        return False
    return bool(on_holiday and name)


def _minus(lo: int, hi: int, avoid: tuple[int, int] | None) -> list[tuple[int, int]]:
    """The minute ranges of [lo, hi) outside the avoided hours."""
    if avoid is None:
        return [(lo, hi)]
    a, b = avoid[0] * 60, avoid[1] * 60
    return [(x, y) for x, y in ((lo, min(hi, a)), (max(lo, b), hi)) if x < y]
