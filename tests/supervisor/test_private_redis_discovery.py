"""Without redis.url, a bot with supervisor.publish_events and a console on the same machine meet
at the private Redis's well-known socket under cache_dir."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from voicebot.config import Settings
from voicebot.server.sinks import make_event_sinks
from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventReader, RedisEventSink
from voicebot.store.redis_server import connect_redis, private_redis


def test_bot_and_console_share_the_private_redis():
    cache = Path(tempfile.mkdtemp(prefix="vb-cache-"))
    try:
        bot_settings = Settings()
        bot_settings.paths.cache_dir = cache
        assert not any(isinstance(s, RedisEventSink) for s in make_event_sinks(bot_settings))  # off by default
        bot_settings.supervisor.publish_events = True
        sink = next(s for s in make_event_sinks(bot_settings) if isinstance(s, RedisEventSink))
        sink(CallEvent("call_started", "abc123", {"direction": "inbound", "remote": "sip:x@y"}))
        assert sink.flush()
        console_settings = Settings()  # another process: same cache_dir, no URL
        console_settings.paths.cache_dir = cache
        reader = RedisEventReader(connect_redis(console_settings))
        assert [c["call_id"] for c in reader.live_calls()] == ["abc123"]
        assert private_redis(console_settings).socket_path == cache / "redis" / "redis.sock"
        sink.close()
    finally:
        private_redis(Settings(paths={"cache_dir": cache})).stop()
        shutil.rmtree(cache, ignore_errors=True)
