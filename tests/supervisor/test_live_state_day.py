"""The live board from per-call state: a simulated 16-channel day through the real event sink, and a
dead worker's calls leaving the board by TTL."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from tests.supervisor.conftest import console_settings, login
from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink

CHANNELS = 16
DAY_S = 30 * 60  # simulated seconds
CHECK_EVERY_S = 30
AGENTS = 8


@dataclass
class SimCall:
    call_id: str
    direction: str
    name: str
    remote: str
    start: float
    answered: float | None  # None: an outbound call nobody picked up
    end: float
    transfer_at: float | None
    events: list[tuple[float, str, dict]] = field(default_factory=list)

    def state_at(self, t: float) -> str | None:
        """What the board must show at simulated time ``t`` (None: not on the board)."""
        if not self.start <= t < self.end:
            return None
        if self.answered is None or t < self.answered:
            return "ringing"
        if self.transfer_at is not None and t >= self.transfer_at:
            return "transferring"
        return "talking" if t < self.answered + 20 else "pitch"


def _simulate(rng: random.Random, t0: float) -> list[SimCall]:
    calls: list[SimCall] = []
    for channel in range(CHANNELS):
        t = rng.uniform(0, 60)
        while t < DAY_S - 30:
            n = len(calls)
            inbound = rng.random() < 0.3
            ring = rng.uniform(0, 8) if inbound else rng.uniform(4, 25)
            length = rng.uniform(60, 600)
            unanswered = not inbound and rng.random() < 0.1
            start = t0 + t
            answered = None if unanswered else start + ring
            end = start + ring + (0 if unanswered else length)
            transfer_at = end - rng.uniform(10, 30) if answered and rng.random() < 0.15 else None
            call = SimCall(f"sim-{channel:02d}-{n:04d}", "inbound" if inbound else "outbound", f"客户{n}",
                           f"sip:+86138{n:08d}@pbx", start, answered, end, transfer_at)
            ev = call.events
            ev.append((start, "call_started", {"direction": call.direction, "remote": call.remote, "locale": "zh-CN",
                                               "customer": {"name": call.name, "segment": "s"}}))
            if answered is not None:
                ev.append((answered, "call_answered", {"codec": "PCMU"}))
                ev.append((answered + 20, "state", {"state": "pitch"}))
                talk_end = transfer_at or end
                turns = 13  # with the rest, about 18 events per call
                for i in range(turns):
                    at = answered + 20 + (talk_end - answered - 21) * (i + 1) / (turns + 1)
                    ev.append((at, "user_turn" if i % 2 == 0 else "bot_turn", {"text": f"第{i}句"}))
                ev.append((answered + 25, "emotion", {"label": "neutral", "confidence": 0.8}))
                if transfer_at is not None:
                    ev.append((transfer_at, "transfer", {"target": "sip:agent@pbx", "reason": "asked"}))
            ev.append((end, "call_ended", {"outcome": {"answered_by": "human" if answered else "no_answer"}}))
            ev.sort(key=lambda e: e[0])
            calls.append(call)
            t += (end - start) + rng.uniform(1, 20)
    return calls


def test_sixteen_channel_day_keeps_every_live_call_on_the_board(tmp_path, redis_client):
    from voicebot.supervisor.app import create_app

    settings = console_settings(tmp_path)
    settings.campaign.human_agents = AGENTS
    app = create_app(settings, redis_client)
    rng = random.Random(22)
    t0 = time.time() - DAY_S  # the day happened in the last half hour, on a compressed clock
    calls = _simulate(rng, t0)
    events = sorted(((at, c.call_id, kind, data) for c in calls for at, kind, data in c.events),
                    key=lambda e: e[0])
    assert len(events) / len(calls) > 15 and len(calls) > 80
    sink = RedisEventSink(redis_client, worker="sim")
    checks = 0
    deadline = time.monotonic() + 50
    with TestClient(app) as client:
        login(client, "sue")
        i = 0
        for check_t in range(CHECK_EVERY_S, DAY_S + 1, CHECK_EVERY_S):
            now = t0 + check_t
            while i < len(events) and events[i][0] <= now:
                at, call_id, kind, data = events[i]
                sink(CallEvent(kind, call_id, data, ts=at))
                i += 1
            assert sink.flush()
            truth = {c.call_id: (c, c.state_at(now)) for c in calls if c.state_at(now)}
            board = {r["call_id"]: r for r in client.get("/api/live").json()["calls"]}
            assert set(board) == set(truth), f"at {check_t}s"
            for call_id, (call, state) in truth.items():
                row = board[call_id]
                assert (row["state"], row["direction"], row["remote"], row["customer"]["name"]) == \
                    (state, call.direction, call.remote, call.name), f"{call_id} at {check_t}s"
            tiles = client.get("/api/wallboard").json()["tiles"]
            waiting = sum(1 for c, s in truth.values() if s == "ringing" and c.direction == "inbound")
            transferring = sum(1 for _, s in truth.values() if s == "transferring")
            ended = [c for c in calls if c.end <= now and c.answered is not None]
            assert tiles["waiting"]["value"] == waiting, f"at {check_t}s"
            assert tiles["active"]["value"] == len(truth) - waiting
            assert tiles["agents_free"]["value"] == max(0, AGENTS - transferring)
            assert tiles["calls_today"]["value"] == sum(1 for c in calls if c.start <= now)
            if ended:
                aht = sum(c.end - c.answered for c in ended) / len(ended)
                assert abs(tiles["aht"]["value"] - aht) < 1e-6
            checks += 1
            assert time.monotonic() < deadline, "the simulated day took too long"
    sink.close()
    assert checks == DAY_S // CHECK_EVERY_S


def test_a_dead_workers_call_leaves_the_board_and_a_silent_call_stays(tmp_path, redis_client):
    from voicebot.supervisor.app import create_app

    app = create_app(console_settings(tmp_path), redis_client)
    alive = RedisEventSink(redis_client, worker="alive", live_ttl_s=1.0, heartbeat_s=0.2)
    dead = RedisEventSink(redis_client, worker="dead", live_ttl_s=1.0, heartbeat_s=0.2)
    alive(CallEvent("call_started", "silent", {"direction": "outbound"}))
    dead(CallEvent("call_started", "orphan", {"direction": "inbound"}))
    assert alive.flush() and dead.flush()
    dead.close()  # the worker is gone: nobody refreshes its call's TTL and no call_ended comes
    with TestClient(app) as client:
        login(client, "sue")
        assert {r["call_id"] for r in client.get("/api/live").json()["calls"]} == {"silent", "orphan"}
        time.sleep(1.6)
        assert [r["call_id"] for r in client.get("/api/live").json()["calls"]] == ["silent"]
        assert client.get("/api/wallboard").json()["tiles"]["waiting"]["value"] == 0
    assert not redis_client.sismember("voicebot:calls:live", "orphan")
    alive.close()


def test_a_second_sink_continues_a_call_from_its_row_in_redis(redis_client):
    from voicebot.store.events import RedisEventReader

    first = RedisEventSink(redis_client, worker="w1")
    first(CallEvent("call_started", "c1", {"direction": "inbound", "remote": "sip:1@x", "customer": {"name": "王"}}))
    first(CallEvent("call_answered", "c1", {}))
    first.close()
    second = RedisEventSink(redis_client, worker="w1")  # e.g. the sink restarted mid-call
    second(CallEvent("user_turn", "c1", {"text": "你好"}))
    second.close()
    state = RedisEventReader(redis_client).call_state("c1")
    assert (state["direction"], state["remote"], state["state"]) == ("inbound", "sip:1@x", "talking")
    assert '"name": "王"' in state["customer"] and "你好" in state["utterances"]
