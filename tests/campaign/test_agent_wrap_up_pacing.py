"""Agents in wrap-up hold back the dialer, and a transferred campaign call is one busy agent.

Real redis-server, real event sink (the call's events write the agent sets as in production), real
campaign worker and the console's own figures (the wallboard's "Agents free", the campaign page's
agents, the pacer's free agents). Times are the campaign's fake clock throughout, so an entry
written at the wrong time or twice shows up in the figures.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from campaign_data import write_customers

from tests.supervisor.conftest import console_settings
from voicebot.campaign import keys
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.clock import FakeClock
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.importer import import_customers
from voicebot.campaign.kpi import load_results
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.pacing import Pacer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig
from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink
from voicebot.supervisor.app import Console, create_app
from voicebot.supervisor.live import LiveBoard
from voicebot.supervisor.routes_campaigns import agents_now
from voicebot.supervisor.wallboard import Wallboard

WRAP_UP_S = 30.0
HANDLE_S = 300.0  # campaign.agent_handle_s
AGENTS = 3
CALL_S = 60.0  # the bridged call, from answer to hang-up


def _transferred_call(sink: RedisEventSink, call_id: str, start: float, end: float | None,
                      bridged: bool = True) -> None:
    """A call handed to an agent (bridged through the bot, or by REFER); it ends at ``end`` (None:
    still up)."""
    events = [(start, "call_started", {"direction": "outbound", "remote": "sip:1@pbx"}),
              (start + 1, "call_answered", {}),
              (start + 2, "transfer", {"target": "sip:agent@pbx", "mode": "warm", "reason": "asked"}),
              (start + 3, "transfer_result", {"ok": True, "bridged": bridged})]
    if end is not None:
        events.append((end, "call_ended", {"outcome": _outcome(bridged)}))
    for at, kind, data in events:
        sink(CallEvent(kind, call_id, data, ts=at))
    assert sink.flush()


def _pacer_free_agents(client, cfg: CampaignConfig, now: float) -> int:
    """The free agents the dialer sees now, from a probe campaign that places nothing."""
    pacer = Pacer(client, keys.CampaignKeys("probe"), cfg, wrap_up_s=WRAP_UP_S)
    decision = pacer.acquire("probe-call", now)
    pipe = client.pipeline()
    pacer.release(pipe, "probe-call")
    pipe.execute()
    return decision.free_agents


def test_an_agent_in_wrap_up_holds_back_the_dialer_until_the_wrap_up_ends(redis_client, clock):
    # Every call may need an agent (rate 1): calls placed at once can be at most the free agents.
    cfg = CampaignConfig(bot_channels=8, human_agents=2, transfer_rate_prior=1.0, agent_handle_s=300.0)
    sink = RedisEventSink(redis_client, worker="w")
    start = clock.now()
    end = start + CALL_S
    _transferred_call(sink, "bridged-1", start, end)
    pacer = Pacer(redis_client, keys.CampaignKeys("wrapup"), cfg, wrap_up_s=WRAP_UP_S)

    during = [pacer.acquire(f"a{i}", end + 1) for i in range(3)]
    assert [d.reason for d in during] == ["ok", "agents", "agents"]  # one agent in wrap-up, one free
    assert during[1].free_agents == 1

    pipe = redis_client.pipeline()
    pacer.release(pipe, "a0")
    pipe.execute()
    after = [pacer.acquire(f"b{i}", end + WRAP_UP_S) for i in range(3)]  # the wrap-up ends exactly now
    assert [d.reason for d in after] == ["ok", "ok", "agents"]
    assert after[2].free_agents == 2

    # Without wrap-up (0 s) the agent is free the moment the call ends.
    no_wrap_up = Pacer(redis_client, keys.CampaignKeys("nowrap"), cfg, wrap_up_s=0.0)
    assert [no_wrap_up.acquire(f"c{i}", end + 1).reason for i in range(3)] == ["ok", "ok", "agents"]

    # An agent on a call being transferred now is busy too, wherever the call came from.
    _transferred_call(sink, "bridged-2", end + 100, None)
    sink.close()
    live = Pacer(redis_client, keys.CampaignKeys("live"), cfg, wrap_up_s=WRAP_UP_S)
    assert [d.reason for d in (live.acquire(f"d{i}", end + 110) for i in range(2))] == ["ok", "agents"]


def _outcome(bridged: bool) -> dict:
    return {"answered_by": "human", "intent_grade": "A", "turns": 4,
            "transfer": {"ok": True, "bridged": bridged, "reason": "asked"}}


@dataclass
class TransferredCampaignCalls:
    """The voice side of a campaign call: its events go through the real sink, the customer is
    handed to an agent, and the busy agents are read from every figure while the call is up."""

    sink: RedisEventSink
    clock: FakeClock
    bridged: bool
    figures: Callable[[float], dict[str, int]]
    during: list[dict[str, int]] = field(default_factory=list)
    ended: list[float] = field(default_factory=list)

    def dial(self, job: CallJob) -> CallResult:
        call_id = f"call-{job.job_id}"
        start = self.clock.now()
        _transferred_call(self.sink, call_id, start, None, self.bridged)
        self.during.append(self.figures(start + 10))
        end = start + CALL_S
        self.clock.set(end)
        self.sink(CallEvent("call_ended", call_id, {"outcome": _outcome(self.bridged)}, ts=end))
        assert self.sink.flush()  # the sink writes the call's end before the worker records it
        self.ended.append(end)
        return CallResult.from_outcome(_outcome(self.bridged), call_id)


def _busy_in_every_figure(console: Console, cfg: CampaignConfig, now: float) -> dict[str, int]:
    rows, _ = LiveBoard(console.reader).snapshot()
    agents = agents_now(console, now=now)
    figures = Wallboard(console.client, console.settings.supervisor.wallboard).figures(rows, agents, now=now)
    return {"wallboard": AGENTS - figures["tiles"]["agents_free"]["value"], "campaign_page": agents["busy"],
            "pacer": AGENTS - _pacer_free_agents(console.client, cfg, now)}


@pytest.mark.parametrize("bridged", [True, False], ids=["bridged", "refer"])
def test_a_transferred_campaign_call_is_one_busy_agent_then_none(redis_client, clock, tmp_path: Path, bridged):
    settings = console_settings(tmp_path, agent_wrap_up_s=WRAP_UP_S)
    cfg = CampaignConfig(human_agents=AGENTS, bot_channels=2, agent_handle_s=HANDLE_S, max_attempts=1)
    settings.campaign = cfg
    console: Console = create_app(settings, redis_client).state.console
    camp = Campaign(redis_client, "transferred")
    camp.create(locale="zh-CN")
    import_customers(redis_client, write_customers(tmp_path / "c.csv", ["interested"]), ColumnMapping.identity(),
                     campaign=camp.name)
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    sink = RedisEventSink(redis_client, worker="w")
    dialer = TransferredCampaignCalls(sink, clock, bridged, lambda now: _busy_in_every_figure(console, cfg, now))
    CampaignWorker(redis_client, camp.name, dialer, cfg, clock, worker_id="w", agent_wrap_up_s=WRAP_UP_S).run(
        threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)
    sink.close()

    (result,) = load_results(redis_client, camp.name)
    assert result["result"]["transferred"] and result["result"]["bridged"] == bridged
    # While the agent has the customer, and after the call for the wrap-up (bridged) or the handle
    # time (REFER, the agent's leg goes on where the bot cannot see it): one agent in every figure.
    one, none = {"wallboard": 1, "campaign_page": 1, "pacer": 1}, {"wallboard": 0, "campaign_page": 0, "pacer": 0}
    assert dialer.during == [one]
    (end,) = dialer.ended
    # One member, the call's own id, at the call's end, in one of the two sets.
    after, other = (keys.AGENTS_WRAP_UP, keys.AGENT_TRANSFERS) if bridged else (keys.AGENT_TRANSFERS,
                                                                                 keys.AGENTS_WRAP_UP)
    assert redis_client.zrange(after, 0, -1, withscores=True) == [(f"call-{result['job_id']}", end)]
    assert redis_client.zcard(other) == 0
    busy_for = WRAP_UP_S if bridged else HANDLE_S
    assert _busy_in_every_figure(console, cfg, end + 1) == one
    assert _busy_in_every_figure(console, cfg, end + busy_for - 1) == one
    assert _busy_in_every_figure(console, cfg, end + busy_for + 1) == none
