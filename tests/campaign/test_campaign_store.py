"""The private redis-server (persistence, reuse, clean stop) and the Redis call-event sink."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest
import redis

from voicebot.config import Settings
from voicebot.session.events import CallEvent
from voicebot.store.events import LIVE_CALLS, RedisEventReader, RedisEventSink
from voicebot.store.redis_server import connect_redis, private_redis


def test_private_server_persists_across_restart_and_is_reused():
    cache = Path(tempfile.mkdtemp(prefix="vb-c-"))
    settings = Settings(paths={"cache_dir": cache})
    try:
        client = connect_redis(settings)
        client.hset("voicebot:customer:x", "name", "张三")
        again = connect_redis(settings)  # reuses the running server
        assert again.hget("voicebot:customer:x", "name") == "张三"
        server = private_redis(settings)
        pid = server.pid_path.read_text().strip()
        server.stop()
        assert not server.running()
        client = connect_redis(settings)  # a fresh server replays the append-only file
        assert server.pid_path.read_text().strip() != pid
        assert client.hget("voicebot:customer:x", "name") == "张三"
    finally:
        private_redis(settings).stop()
        shutil.rmtree(cache, ignore_errors=True)


def test_event_sink_stream_live_state_and_reader(redis_client):
    sink = RedisEventSink(redis_client, maxlen=1000, worker="w1")
    sink(CallEvent("call_started", "call-1", {"direction": "outbound", "remote": "sip:1@x", "locale": "zh-CN"}))
    sink(CallEvent("user_turn", "call-1", {"text": "多少钱"}))
    sink(CallEvent("bot_turn", "call-1", {"text": "现在八折"}))
    sink(CallEvent("call_started", "call-2", {"direction": "outbound"}))
    assert sink.flush()
    reader = RedisEventReader(redis_client)
    live = {c["call_id"]: c for c in reader.live_calls()}
    assert set(live) == {"call-1", "call-2"}
    assert live["call-1"]["user_turns"] == "1" and live["call-1"]["state"] == "ringing"
    assert [u["text"] for u in json.loads(live["call-1"]["utterances"])] == ["多少钱", "现在八折"]
    sink(CallEvent("call_ended", "call-1", {"outcome": {"answered_by": "human", "intent_grade": "B"}}))
    sink.close()
    assert [c["call_id"] for c in reader.live_calls()] == ["call-2"]
    assert 0 < redis_client.ttl("voicebot:call:call-1") <= 600
    events = reader.read("0")
    assert [e.data["type"] for e in events] == ["call_started", "user_turn", "bot_turn", "call_started", "call_ended"]
    assert events[0].data["worker"] == "w1" and events[-1].data["outcome"]["intent_grade"] == "B"
    assert [e.data["type"] for e in reader.recent(10, call_id="call-1")][-1] == "call_ended"
    assert reader.read(events[-1].id) == []
    assert sink.published == 5 and sink.errors == 0


@pytest.mark.timeout(60)
def test_the_caller_never_waits_on_redis(tmp_path):
    # A Redis that takes the connection and never answers: a caller waiting on it would hang here
    # (the timeout above fails the test), while the sink's writer thread hangs instead.
    path = str(tmp_path / "hung-redis.sock")
    hung = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hung.bind(path)
    hung.listen(8)
    try:
        sink = RedisEventSink(redis.Redis(unix_socket_path=path, decode_responses=True), buffer=10)
        for _ in range(5):
            sink(CallEvent("state", "call-9", {"state": "greeting"}))
        assert sink.published == 0 and sink.dropped == 0 and sink.errors == 0
    finally:
        hung.close()  # the writer's read fails, it counts an error and keeps the events


def test_event_sink_never_raises_when_redis_is_gone():
    dead = redis.Redis(unix_socket_path="/nonexistent/redis.sock", decode_responses=True)
    sink = RedisEventSink(dead, buffer=2)
    for _ in range(5):
        sink(CallEvent("state", "call-9", {"state": "greeting"}))
    deadline = time.monotonic() + 30
    while sink.errors == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sink.flush(0.5)  # kept for when Redis is back, at most `buffer` of them; the rest counted
    assert sink.backlog + sink.dropped == 5 and sink.backlog <= 2 and sink.published == 0 and sink.errors >= 1


def test_stale_live_call_is_dropped_by_reader(redis_client):
    redis_client.sadd(LIVE_CALLS, "ghost")
    assert RedisEventReader(redis_client).live_calls() == []
    assert not redis_client.sismember(LIVE_CALLS, "ghost")
