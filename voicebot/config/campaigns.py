"""Settings: Campaigns and the Redis they share."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator


class RedisConfig(BaseModel):
    # Empty = start a private redis-server on a unix socket under cache_dir. A password in it
    # (redis://:pw@host) is shown as *** in repr and logs.
    url: str = ""
    # A Redis with neither AOF nor RDB loses the campaign and the do-not-call list on a restart:
    # the server refuses it unless this is set (or --allow-ephemeral-redis is given), loudly.
    allow_ephemeral: bool = False

    def __repr_args__(self):  # type: ignore[override]
        from voicebot.secret_fields import hide_userinfo

        return [(k, hide_userinfo(v) if isinstance(v, str) else v) for k, v in super().__repr_args__()]


class CampaignConfig(BaseModel):
    # Local calling hours (customer's time zone), "HH:MM"; calls start at or after start, before end.
    calling_hours_start: str = "09:00"
    calling_hours_end: str = "20:00"  # no call starts after this local time
    # Used when a customer has no time zone and none can be derived from the number.
    default_timezone: str = "Asia/Shanghai"
    holidays: list[str] = []  # ISO dates (YYYY-MM-DD), local to the customer: no calls all day
    # China's statutory holidays (法定节假日, from chinese-calendar) for customers in a Chinese time
    # zone: no marketing calls unless this is true; 调休 make-up working weekends stay calling days.
    call_on_public_holidays: bool = False
    # Frequency cap per number: at most this many answered calls within the window.
    freq_cap_calls: int = 1
    freq_cap_days: float = 5.0  # the window of the per-customer frequency cap, in days
    max_attempts: int = 4  # calls to one customer in a campaign, first call and retries together
    # Delay before attempt n+1 after no answer / busy / voicemail (last value repeats).
    retry_backoff_s: list[float] = [2 * 3600.0, 6 * 3600.0, 24 * 3600.0]
    retry_voicemail: bool = True  # a call that reached voicemail is retried like a no-answer
    # Pacing: simultaneous bot calls, and the humans who take transfers.
    # Outbound calls: E.164 number -> SIP URI at the PBX ({host} = sip.domain or the registrar).
    dial_uri_template: str = "sip:{phone}@{host}"
    bot_channels: int = 8  # calls a campaign places at once (the pacer's ceiling)
    # Calls per bot process (at most 4, see sip.max_calls); 2 leaves a slot per call for a warm
    # transfer's consult leg.
    calls_per_process: int = Field(4, ge=1, le=4)
    human_agents: int = 2  # 0 = no agent-load pacing
    transfer_rate_prior: float = 0.10  # expected share of calls handed to agents before the campaign has its own
    agent_handle_s: float = 300.0  # how long a customer handed to an agent keeps the agent busy, wrap-up included
    # A job idle this long in the stream (worker died) is reclaimed by another worker.
    visibility_timeout_s: float = 120.0
    # Costs and the manual-calling baseline (seed: 80-120 effective calls/agent/day). Currency ""
    # = by the campaign's locale (CNY for zh-CN, USD for en-US). Unit costs left unset use the
    # estimates in voicebot/campaign/costs.py, and the report says they are estimates.
    currency: str = ""
    cost_per_minute: float | None = None  # line cost per talk minute
    cost_per_agent_hour: float | None = None  # loaded cost of one agent hour (wage + overhead)
    # The daily volume the report projects to (seed: 日均外呼量 >= 5000).
    target_calls_per_day: int = 5000
    manual_calls_per_agent_day: float = 100.0  # what one human agent dials a day (the report's cost comparison)
    manual_agent_hours_per_day: float = 8.0  # a human agent's paid hours a day (the report's cost comparison)
    bandit_min_explore: float = 0.10  # least share of calls each script variant keeps getting
    # What the script A/B test rewards: an intent customer (grade A or B) or a sale. A call counts
    # as a trial only once the variant's pitch was spoken.
    bandit_reward: Literal["intent_ab", "converted"] = "intent_ab"
    # Every kind of call, callbacks included: at most this many answered calls per number in 24 h
    # (a callback the customer asked for may skip the multi-day freq_cap, never this).
    max_calls_per_day: int = Field(2, ge=1)
    # Callbacks a customer may ask for in one campaign (on top of max_attempts), and the soonest
    # one is booked after a call (the bot says the booked time, so both agree).
    max_callbacks: int = Field(2, ge=0)
    # Staff phone numbers (any spelling) that are not customer calls and so skip the compliance
    # gate. Console users' phones and phone_supervision.supervisor_phones count as staff too.
    staff_numbers: list[str] = []
    # The only named destinations (SIP accounts, short extensions: no phone number in them) the bot
    # may dial, e.g. "sip:agent@pbx" or "1001". Any other name is refused, since a PBX may route a
    # name to anyone. An entry without a host matches that user on any host; ports are ignored.
    staff_accounts: list[str] = []
    callback_min_delay_s: float = Field(1800.0, ge=0)  # the earliest a callback may be booked after the call
    # A worker whose calls ended in this many engine failures (ASR/TTS) in a row stops dialling
    # (each such call spends a customer's attempt on an apology) and dials again once its engines
    # answer a probe, tried every engine_probe_interval_s. 0 = never pause.
    engine_failures_to_pause: int = Field(3, ge=0)
    # While dialling is paused for engine failures, probe the engines this often.
    engine_probe_interval_s: float = Field(30.0, gt=0)
    events_stream_maxlen: int = 100_000  # call events kept in Redis (voicebot:events, trimmed approximately)

    @field_validator("staff_numbers")
    @classmethod
    def _staff_numbers_are_numbers(cls, entries: list[str]) -> list[str]:
        from voicebot.dial_identity import dial_identity

        for entry in entries:
            ident = dial_identity(entry)
            if ident.number is None and ident.user and not ident.unparseable:
                raise ValueError(f"campaign.staff_numbers: {entry!r} is a named account, not a phone number: "
                                 "list it in campaign.staff_accounts")
            if ident.number is None:
                raise ValueError(f"campaign.staff_numbers: {entry!r} is no valid phone number")
        return entries

    @field_validator("staff_accounts")
    @classmethod
    def _staff_accounts_are_names(cls, entries: list[str]) -> list[str]:
        from voicebot.dial_identity import account_key, dial_identity

        for entry in entries:
            if dial_identity(entry).is_number:
                raise ValueError(f"campaign.staff_accounts: {entry!r} is a phone number: list it in "
                                 "campaign.staff_numbers (numbers are matched in any spelling there)")
            if not account_key(entry)[0]:
                raise ValueError(f"campaign.staff_accounts: {entry!r} names no account")
        return entries
