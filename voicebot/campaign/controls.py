"""What a supervisor may change on a running campaign: its pacing and its calling hours.

Both are stored on the campaign (its meta hash in Redis), like its status: every worker on every
host reads them when it places its next call (``CampaignWorker.step`` reads the hours, ``Pacer``
the channels), so a change needs no restart and no re-plan. Without a campaign value the config's
``campaign.bot_channels`` / ``campaign.calling_hours_*`` apply. Calling hours are local to each
customer (their time zone; the campaign's ``default_timezone`` for customers without one).

Pacing here is what the pacer enforces: the number of calls this campaign's bots may have up at
once (``bot_channels``); the agent-load rule on top of it is set for everyone (``/api/agents``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import redis

from voicebot.calling_hours import clock_minutes
from voicebot.campaign.cli_messages import msg
from voicebot.campaign.hours import HoursError, check_hhmm
from voicebot.config import CampaignConfig
from voicebot.errors import VoicebotError
from voicebot.store.keys import CampaignKeys

# One line per bot process handles at most 4 calls (sip.max_calls); more channels than this on one
# campaign is a typo, not a plan.
MAX_BOT_CHANNELS = 500
FIELDS = ("bot_channels", "calling_hours_start", "calling_hours_end")


class ControlError(VoicebotError):
    """A bad value, naming the field; ``code`` + ``values`` let the console word it in its language."""

    def __init__(self, field: str, code: str, message: str, **values: Any) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.code, self.values = field, code, values


@dataclass(frozen=True)
class CampaignControls:
    bot_channels: int
    calling_hours_start: str
    calling_hours_end: str
    timezone: str  # for customers without their own time zone
    own: tuple[str, ...]  # the fields set on the campaign (the rest come from the config)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "own": list(self.own), "max_bot_channels": MAX_BOT_CHANNELS}


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def bot_channels(client: redis.Redis, ck: CampaignKeys, cfg: CampaignConfig) -> int:
    """What the pacer allows now: the campaign's own value, else the config's."""
    value = client.hget(ck.meta, "bot_channels")
    try:
        return int(value) if value not in (None, "") else cfg.bot_channels
    except ValueError:  # never stored by us; a hand edit must not stop the dialer
        return cfg.bot_channels


def ceiling_warning(client: redis.Redis, ck: CampaignKeys, cfg: CampaignConfig, channels: int, zh: bool) -> str:
    """What to tell someone who starts more channels than the pacer lets dial at once ("" if none):
    the extra workers would only wait."""
    ceiling = bot_channels(client, ck, cfg)
    return msg("channels_over_ceiling", zh, channels=channels, ceiling=ceiling, name=ck.name) if channels > ceiling else ""


def read_controls(client: redis.Redis, ck: CampaignKeys, cfg: CampaignConfig) -> CampaignControls:
    stored = dict(zip(FIELDS, client.hmget(ck.meta, list(FIELDS))))
    own = tuple(f for f in FIELDS if stored[f] not in (None, ""))
    hours_own = bool(stored["calling_hours_start"] and stored["calling_hours_end"])
    return CampaignControls(
        bot_channels=bot_channels(client, ck, cfg),
        calling_hours_start=stored["calling_hours_start"] if hours_own else cfg.calling_hours_start,
        calling_hours_end=stored["calling_hours_end"] if hours_own else cfg.calling_hours_end,
        timezone=cfg.default_timezone, own=own)


def _channels(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ControlError("bot_channels", "not_whole", f"{value!r} is not a whole number of calls", value=value)
    n = int(str(value).strip())
    if not 1 <= n <= MAX_BOT_CHANNELS:
        raise ControlError("bot_channels", "channels_range",
                           f"{n} is outside 1-{MAX_BOT_CHANNELS} simultaneous calls (use pause to stop calling)",
                           value=n, max=MAX_BOT_CHANNELS)
    return n


def _hhmm(field: str, value: Any) -> str:
    try:
        return check_hhmm(str(value))
    except HoursError:
        raise ControlError(field, "not_hhmm", f"{value!r} is not a time HH:MM (00:00-24:00)", value=value) from None


def change_controls(client: redis.Redis, ck: CampaignKeys, cfg: CampaignConfig,
                    changes: dict[str, Any]) -> list[Change]:
    """Checks every value first, then stores them all (nothing half-applied). A value of None puts
    the field back to the config's (the two hours go back together). Returns what changed."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise ControlError(unknown[0], "unknown_field", f"cannot be set here; settable: {', '.join(FIELDS)}")
    before = read_controls(client, ck, cfg)
    store: dict[str, str] = {}
    drop: list[str] = []
    if "bot_channels" in changes:
        if changes["bot_channels"] is None:
            drop.append("bot_channels")
        else:
            store["bot_channels"] = str(_channels(changes["bot_channels"]))
    if "calling_hours_start" in changes or "calling_hours_end" in changes:
        start, end = changes.get("calling_hours_start", ""), changes.get("calling_hours_end", "")
        if start is None and end is None:
            drop += ["calling_hours_start", "calling_hours_end"]
        else:
            start = _hhmm("calling_hours_start", start if "calling_hours_start" in changes
                          else before.calling_hours_start)
            end = _hhmm("calling_hours_end", end if "calling_hours_end" in changes else before.calling_hours_end)
            if clock_minutes(start) >= clock_minutes(end):
                raise ControlError("calling_hours_end", "hours_order",
                                   f"{end} is not after the start {start}", start=start, end=end)
            store.update(calling_hours_start=start, calling_hours_end=end)
    pipe = client.pipeline()
    if store:
        pipe.hset(ck.meta, mapping=store)
    if drop:
        pipe.hdel(ck.meta, *drop)
    pipe.execute()
    after = read_controls(client, ck, cfg)
    return [Change(f, getattr(before, f), getattr(after, f)) for f in FIELDS
            if getattr(before, f) != getattr(after, f) or (f in before.own) != (f in after.own)]
