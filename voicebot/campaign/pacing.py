"""Dialer pacing shared by all workers: free bot channels, and human-agent load.

A call may start only if in-flight calls < bot channels (the campaign's own, else the config's) and
(in-flight + 1) x transfer rate <= free agents, where free agents = agents (or the supervisor's
override in ``voicebot:agents:free``) minus busy agents, and the transfer rate is the campaign's
observed rate with a prior. Checked and reserved atomically in Lua.

Busy agents are read from what the calls' event sinks write (``voicebot.store.events``), in the
same script the console's "Agents free" and campaign page run (``busy_agents``): live calls being
transferred (the agent's phone rings or the agent's leg is bridged), customers handed over (REFER)
within ``campaign.agent_handle_s``, and agents in wrap-up for ``supervisor.agent_wrap_up_s`` after a
bridged agent leg ended. A call moves from the first to one of the others in the MULTI that ends it,
so one handover is one busy agent at every moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from voicebot.campaign.controls import bot_channels
from voicebot.config import CampaignConfig, SupervisorConfig
from voicebot.store import keys
from voicebot.store.events import LIVE_CALLS, call_key
from voicebot.store.live_state import TRANSFERRING

# A worker built without the console's setting counts wrap-up as the default console does.
DEFAULT_WRAP_UP_S = SupervisorConfig.model_fields["agent_wrap_up_s"].default

# Keys: handovers, wrap-ups, live calls; then a live call's hash key without its id, the lowest
# handover time still busy, the wrap-up ZCOUNT bound ("" = no wrap-up), the live state that holds
# an agent. A live call's hash is read by its id (as the console's snapshot does): one Redis, not a
# cluster. An expired hash (its process died) holds no one, as on the live board.
_BUSY_AGENTS = """
local function busy_agents(handovers, wrap_ups, live, call_prefix, handle_from, wrap_up_from, holding)
  local busy = redis.call('ZCOUNT', handovers, handle_from, '+inf')
  if wrap_up_from ~= '' then busy = busy + redis.call('ZCOUNT', wrap_ups, wrap_up_from, '+inf') end
  for _, id in ipairs(redis.call('SMEMBERS', live)) do
    if redis.call('HGET', call_prefix .. id, 'state') == holding then busy = busy + 1 end
  end
  return busy
end
"""

_COUNT = _BUSY_AGENTS + """
return busy_agents(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
"""

_ACQUIRE = _BUSY_AGENTS + """
local now, channels, agents = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local rate, stale_s = tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - stale_s)
local inflight = redis.call('ZCARD', KEYS[1])
if inflight >= channels then return {0, inflight, -1} end
local free = -1
if agents > 0 then
  local override = redis.call('GET', KEYS[3])
  if override then agents = tonumber(override) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[8])  -- handovers handled: gone
  free = agents - busy_agents(KEYS[2], KEYS[4], KEYS[5], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
  if (inflight + 1) * rate > free then return {-1, inflight, free} end
end
if ARGV[11] == 'check' then return {1, inflight, free} end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return {1, inflight + 1, free}
"""


@dataclass(frozen=True)
class PaceDecision:
    ok: bool
    reason: str  # "ok", "channels", "agents"
    inflight: int
    free_agents: int  # -1 = not limited by agents


class Pacer:
    PRIOR_WEIGHT = 20.0  # calls' worth of confidence in the configured prior transfer rate

    def __init__(self, client: redis.Redis, ck: keys.CampaignKeys, cfg: CampaignConfig, stale_s: float = 3 * 3600,
                 wrap_up_s: float = DEFAULT_WRAP_UP_S) -> None:
        self.client, self.ck, self.cfg, self.stale_s, self.wrap_up_s = client, ck, cfg, stale_s, wrap_up_s
        self._acquire = client.register_script(_ACQUIRE)

    def transfer_rate(self) -> float:
        answered, transfers = self.client.hmget(self.ck.meta, ["n_human", "n_transfers"])
        answered, transfers = float(answered or 0), float(transfers or 0)
        return (transfers + self.cfg.transfer_rate_prior * self.PRIOR_WEIGHT) / (answered + self.PRIOR_WEIGHT)

    def acquire(self, attempt_id: str, now: float, reserve: bool = True) -> PaceDecision:
        """May a call start now? With ``reserve``, the call is counted in flight in the same step;
        without, it is only a question (a worker asks before it takes a job off the queue)."""
        # The campaign's own channel count (set from the console, controls.py) is read at every call.
        code, inflight, free = self._acquire(
            keys=[self.ck.inflight, keys.AGENT_TRANSFERS, keys.AGENTS_FREE_OVERRIDE, keys.AGENTS_WRAP_UP, LIVE_CALLS],
            args=[attempt_id, now, bot_channels(self.client, self.ck, self.cfg), self.cfg.human_agents,
                  self.transfer_rate(), self.stale_s,
                  *_busy_args(now, self.cfg.agent_handle_s, self.wrap_up_s), "check" if not reserve else "reserve"])
        reason = {1: "ok", 0: "channels", -1: "agents"}[int(code)]
        return PaceDecision(code == 1, reason, int(inflight), int(free))

    def release(self, pipe: redis.client.Pipeline, attempt_id: str) -> None:
        pipe.zrem(self.ck.inflight, attempt_id)

    def note_transfer(self, pipe: redis.client.Pipeline, call_id: str, now: float, bridged: bool = False) -> None:
        """One agent busy with this call after it: for the handle time after a REFER handover, for
        the wrap-up after a bridged agent leg. The call's event sink writes the same member (the
        call id) into the same set at the call's end, so the two writes count once; ``nx`` keeps the
        sink's end time, which is when the bot's or the agent's leg really ended."""
        pipe.zadd(keys.AGENTS_WRAP_UP if bridged else keys.AGENT_TRANSFERS, {call_id: now}, nx=True)


def _busy_args(now: float, handle_s: float, wrap_up_s: float) -> list[str]:
    """The busy-agents script's ARGV: the call hash prefix, the handover and wrap-up bounds (repr:
    exact, where Lua's own number formatting rounds), and the live state that holds an agent.
    A handover is busy up to and including its handle time's end; a wrap-up that ends exactly now
    is over (an exclusive bound)."""
    return [call_key(""), repr(now - handle_s), f"({now - wrap_up_s!r}" if wrap_up_s > 0 else "", TRANSFERRING]


def busy_agents(client: redis.Redis, now: float, handle_s: float, wrap_up_s: float) -> int:
    """Agents busy now, as the pacer counts them: calls being transferred, handovers within their
    handle time and wrap-ups still running."""
    return int(client.eval(_COUNT, 3, keys.AGENT_TRANSFERS, keys.AGENTS_WRAP_UP, LIVE_CALLS,
                           *_busy_args(now, handle_s, wrap_up_s)))
