"""A campaign worker in its own process (for the SIGKILL test): python worker_proc.py SOCKET CAMPAIGN START_TS."""

from __future__ import annotations

import sys
import threading

import redis

from voicebot.campaign.clock import FakeClock
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig
from voicebot.logs import configure_logging

if __name__ == "__main__":
    socket_path, campaign, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    configure_logging("WARNING")
    client = redis.Redis(unix_socket_path=socket_path, decode_responses=True)
    clock = FakeClock(start)
    cfg = CampaignConfig(visibility_timeout_s=1.5, max_attempts=3, retry_backoff_s=[3600.0])
    worker = CampaignWorker(client, campaign, SimulatedDialer(clock, call_seconds=0.3), cfg, clock, worker_id="doomed")
    worker.run(threading.Event(), poll_s=0.05, exit_when_done=True, advance_clock=True)
