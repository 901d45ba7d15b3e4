"""Listen-live tap against a real redis-server, and the bot's Prometheus metrics fed from call events."""

from __future__ import annotations

import time

import numpy as np
from prometheus_client import generate_latest

from voicebot.session.events import CallEvent
from voicebot.supervisor.audio_tap import ListenTaps, audio_channel, listen_key
from voicebot.supervisor.metrics import BotMetrics

FRAME = 320  # 20 ms at 16 kHz


def _frames(n: int, amplitude: int) -> list[bytes]:
    t = np.arange(n * FRAME) / 16000
    pcm = (amplitude * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    return [pcm[i * FRAME:(i + 1) * FRAME].tobytes() for i in range(n)]


def _messages(pubsub, seconds: float) -> list[bytes]:
    out, deadline = [], time.time() + seconds
    while time.time() < deadline:
        m = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
        if m and m["type"] == "message":
            out.append(m["data"])
    return out


def test_tap_publishes_mixed_audio_only_while_someone_listens(redis_server, redis_client):
    taps = ListenTaps(redis_client, out_rate=8000, check_every_s=0.1)
    tap = taps.open("call-a", 16000)
    binary = __import__("redis").Redis(unix_socket_path=str(redis_server.socket_path))
    pubsub = binary.pubsub()
    pubsub.subscribe(audio_channel("call-a"))
    try:
        tap.feed(_frames(10, 4000), [None] * 10)
        assert _messages(pubsub, 0.4) == [] and not tap.active  # nobody listens: nothing leaves the process
        redis_client.set(listen_key("call-a"), "sue", ex=5)
        deadline = time.time() + 1.0
        while not tap.active and time.time() < deadline:
            time.sleep(0.01)
        assert tap.active, "the tap did not notice the listener within 1 s"
        callee = _frames(50, 4000)
        bot = [f if i % 2 else None for i, f in enumerate(_frames(50, 2000))]  # bot speaks every other frame
        for i in range(0, 50, 5):
            tap.feed(callee[i:i + 5], bot[i:i + 5])
        data = b"".join(_messages(pubsub, 0.6))
        pcm = np.frombuffer(data, dtype=np.int16)
        # 50 frames of 20 ms at 8 kHz = 8000 samples (the resampler holds back its filter delay, ~30).
        assert 7400 <= len(pcm) <= 8000, len(pcm)
        assert np.sqrt(np.mean(pcm.astype(float) ** 2)) > 1500
        redis_client.delete(listen_key("call-a"))
        time.sleep(0.3)
        assert not tap.active
        tap.feed(_frames(10, 4000), [None] * 10)
        assert _messages(pubsub, 0.3) == []
        tap.close()
        assert "call-a" not in taps._taps
    finally:
        taps.stop()
        pubsub.close()


def test_metrics_follow_call_events():
    metrics = BotMetrics()
    active = [2]
    metrics.watch_active(lambda: active[0])
    metrics.watch_redis_errors("events", lambda: 3)
    metrics(CallEvent("call_started", "c1", {}))
    metrics(CallEvent("user_turn", "c1", {"text": "hi", "asr_ms": 250}))
    metrics.observe_tts(0.31)
    metrics(CallEvent("reply_latency", "c1", {"latency_ms": 480, "asr_ms": 250}))
    metrics(CallEvent("reply_latency", "c1", {"latency_ms": 520, "asr_ms": 240}))
    metrics(CallEvent("call_ended", "c1", {"outcome": {"answered_by": "human"}, "latency_ms": [480, 520],
                                          "media": {"overruns": 2, "late_ticks": 1}}))
    text = generate_latest(metrics.registry).decode()
    assert "voicebot_active_calls 2.0" in text
    assert 'voicebot_calls_total{outcome="human"} 1.0' in text
    assert "voicebot_calls_started_total 1.0" in text
    assert "voicebot_reply_latency_seconds_count 2.0" in text
    assert 'voicebot_reply_latency_seconds_bucket{le="0.5"} 1.0' in text
    assert "voicebot_asr_seconds_count 1.0" in text and "voicebot_tts_seconds_count 1.0" in text
    assert "voicebot_frame_callback_overruns_total 2.0" in text
    assert 'voicebot_redis_errors_total{kind="events"} 3.0' in text


def test_grafana_dashboard_uses_exported_metric_names(tmp_path, redis_client):
    import json
    import re
    from pathlib import Path

    import voicebot.supervisor as supervisor
    from voicebot.supervisor.app import create_app

    from .conftest import console_settings

    dashboard = json.loads((Path(supervisor.__file__).parent / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {re.sub(r"_(bucket|total)$", "", m) for e in exprs for m in re.findall(r"voicebot_[a-z_]+", e)}
    metrics = BotMetrics()
    metrics(CallEvent("call_ended", "c", {"outcome": {"answered_by": "human"}}))
    app = create_app(console_settings(tmp_path), redis_client)
    exported = generate_latest(metrics.registry).decode() + generate_latest(app.state.console.registry).decode()
    names = {re.sub(r"_total$", "", m) for m in re.findall(r"^# TYPE (voicebot_[a-z_]+) ", exported, re.M)}
    assert used and used <= names, used - names
    assert len(dashboard["panels"]) >= 10


def test_metrics_port_in_use_is_a_clear_error():
    import socket
    from types import SimpleNamespace

    import pytest

    from voicebot.config import Settings
    from voicebot.errors import VoicebotError
    from voicebot.supervisor.worker import attach_supervision

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = Settings()
        settings.supervisor.metrics_port = busy.getsockname()[1]
        server = SimpleNamespace(sessions={}, engines=SimpleNamespace(sinks=[], listen_taps=None,
                                                                      renderer=SimpleNamespace(on_synthesis=None)))
        with pytest.raises(VoicebotError, match="metrics_port"):
            attach_supervision(settings, server)
