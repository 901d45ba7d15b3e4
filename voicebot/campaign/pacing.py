"""Dialer pacing shared by all workers: free bot channels, and human-agent load.

A call may start only if in-flight calls < bot channels (the campaign's own, else the config's) and
(in-flight + 1) x transfer rate <= free agents, where free agents = agents (or the supervisor's
override in ``voicebot:agents:free``) minus transfers still within their handle time, and the
transfer rate is the campaign's observed rate with a prior. Checked and reserved atomically in Lua.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from voicebot.store import keys
from voicebot.campaign.controls import bot_channels
from voicebot.config import CampaignConfig

_ACQUIRE = """
local now, channels, agents = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local rate, handle_s, stale_s = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - stale_s)
local inflight = redis.call('ZCARD', KEYS[1])
if inflight >= channels then return {0, inflight, -1} end
local free = -1
if agents > 0 then
  local override = redis.call('GET', KEYS[3])
  if override then agents = tonumber(override) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - handle_s)
  free = agents - redis.call('ZCARD', KEYS[2])
  if (inflight + 1) * rate > free then return {-1, inflight, free} end
end
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

    def __init__(self, client: redis.Redis, ck: keys.CampaignKeys, cfg: CampaignConfig, stale_s: float = 3 * 3600) -> None:
        self.client, self.ck, self.cfg, self.stale_s = client, ck, cfg, stale_s
        self._acquire = client.register_script(_ACQUIRE)

    def transfer_rate(self) -> float:
        answered, transfers = self.client.hmget(self.ck.meta, ["n_human", "n_transfers"])
        answered, transfers = float(answered or 0), float(transfers or 0)
        return (transfers + self.cfg.transfer_rate_prior * self.PRIOR_WEIGHT) / (answered + self.PRIOR_WEIGHT)

    def acquire(self, attempt_id: str, now: float) -> PaceDecision:
        # The campaign's own channel count (set from the console, controls.py) is read at every call.
        code, inflight, free = self._acquire(
            keys=[self.ck.inflight, keys.AGENT_TRANSFERS, keys.AGENTS_FREE_OVERRIDE],
            args=[attempt_id, now, bot_channels(self.client, self.ck, self.cfg), self.cfg.human_agents,
                  self.transfer_rate(), self.cfg.agent_handle_s, self.stale_s])
        reason = {1: "ok", 0: "channels", -1: "agents"}[int(code)]
        return PaceDecision(code == 1, reason, int(inflight), int(free))

    def release(self, pipe: redis.client.Pipeline, attempt_id: str) -> None:
        pipe.zrem(self.ck.inflight, attempt_id)

    def note_transfer(self, pipe: redis.client.Pipeline, attempt_id: str, now: float) -> None:
        pipe.zadd(keys.AGENT_TRANSFERS, {attempt_id: now})
