"""Redis key names for customers, campaigns and agents, in one place (the store, the dialogue's FAQ misses and the
campaigns all write them, so they sit with the store)."""

from __future__ import annotations

import hashlib

CUSTOMERS = "voicebot:customers"  # set of customer ids
DNC = "voicebot:dnc"  # set of E.164 numbers never to call
DNC_REASONS = "voicebot:dnc:reasons"  # hash number -> reason
CAMPAIGNS = "voicebot:campaigns"  # set of campaign names


def customer_id(e164: str) -> str:
    """Stable id from the number, so phone numbers never appear in key names or logs."""
    return "c" + hashlib.sha1(e164.encode()).hexdigest()[:16]


def customer(cid: str) -> str:
    return f"voicebot:customer:{cid}"


def number_calls(e164: str) -> str:
    """Sorted set of answered-call times for one number, across campaigns (frequency cap)."""
    return f"voicebot:calls:{customer_id(e164)}"


# zset call id -> time the customer was handed to an agent by REFER (agent load, counted for
# campaign.agent_handle_s). Written by the call's event sink for every such handover and by the
# campaign worker for its own calls (same member: the call id), so the dialer also sees agents busy
# with inbound transfers. Calls being transferred now are read from their live rows (pacing.py).
AGENT_TRANSFERS = "voicebot:agents:transfers"
# zset call id -> time an agent's leg bridged through the bot ended (after-call work starts, counted
# for supervisor.agent_wrap_up_s). Written by the call's event sink and, for its own bridged calls,
# by the campaign worker (same member: one bridged call, one busy agent, never also in the above).
AGENTS_WRAP_UP = "voicebot:agents:wrap_up"
AGENTS_FREE_OVERRIDE = "voicebot:agents:free"  # set by a supervisor to override the configured count


class CampaignKeys:
    def __init__(self, name: str) -> None:
        if not name or any(c in name for c in " :{}"):
            raise ValueError(f"campaign name {name!r} must be non-empty, without spaces, ':' or braces")
        self.name = name
        p = f"voicebot:campaign:{name}"
        self.meta = p  # hash: status, created, description, seeded
        self.members = f"{p}:members"  # set of customer ids
        self.columns = f"{p}:columns"  # set of field names its imports stored (for rule / template checks)
        self.state_prefix = f"{p}:cust:"  # hash per customer: plan + progress
        self.scheduled = f"{p}:scheduled"  # zset job_id -> due time
        self.jobs = f"{p}:jobs"  # hash job_id -> job json
        self.stream = f"{p}:stream"  # due jobs, consumed by the worker group
        self.group = "workers"
        self.results = f"{p}:results"  # stream of call results (json)
        self.inflight = f"{p}:inflight"  # zset attempt id -> start time
        self.followups = f"{p}:followups"  # zset "<cid>:<kind>" -> due time (agent / CRM tasks)
        self.dials = f"{p}:dials"  # list of attempt ids actually dialled (audit of double calls)
        self.bandit_prefix = f"{p}:bandit:"
        self.faq_unanswered = f"{p}:faq_unanswered"  # zset question key -> times asked (FAQ had no answer)
        self.faq_unanswered_text = f"{p}:faq_unanswered:text"  # hash question key -> first wording

    def state(self, cid: str) -> str:
        return self.state_prefix + cid

    def attempt(self, cid: str, n: int) -> str:
        return f"voicebot:campaign:{self.name}:attempt:{cid}:{n}"

    def bandit(self, segment: str) -> str:
        return self.bandit_prefix + segment


def worker_alive(worker_id: str) -> str:
    return f"voicebot:worker:{worker_id}"
