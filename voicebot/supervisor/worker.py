"""What a bot process adds for supervision: live-listen taps and the Prometheus endpoint."""

from __future__ import annotations

from typing import Any

from voicebot.config import Settings
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

_log = get_logger("voicebot.supervisor")


def attach_supervision(settings: Settings, server: Any) -> None:
    """``server`` is a ``VoicebotServer`` whose engines are loaded but which takes no calls yet."""
    from voicebot.store.events import RedisEventSink

    engines = server.engines
    redis_sinks = [s for s in engines.sinks if isinstance(s, RedisEventSink)]
    taps = None
    if redis_sinks:  # events go to Redis: the console can see the calls, so it can listen too
        from voicebot.supervisor.audio_tap import ListenTaps

        taps = ListenTaps(redis_sinks[0].client, settings.supervisor.listen_rate, settings.supervisor.listen_check_s)
        engines.listen_taps = taps
    port = settings.supervisor.metrics_port
    if not port:
        return
    from prometheus_client import start_http_server

    from voicebot.supervisor.metrics import BotMetrics

    metrics = BotMetrics()
    engines.sinks.append(metrics)
    metrics.watch_active(lambda: len(server.sessions))
    metrics.watch_registration(lambda: server.ua.registration_status)
    for sink in redis_sinks:
        metrics.watch_redis_errors("events", lambda s=sink: s.errors + s.dropped)
    if taps is not None:
        metrics.watch_redis_errors("listen", lambda: taps.errors)
    engines.renderer.on_synthesis = metrics.observe_tts
    try:
        start_http_server(port, addr=settings.supervisor.metrics_host, registry=metrics.registry)
    except OSError as exc:  # e.g. two workers on one machine with the same port
        raise VoicebotError(f"cannot serve metrics on {settings.supervisor.metrics_host}:{port} "
                            f"(supervisor.metrics_port / --metrics-port): {exc}") from exc
    _log.info("metrics_listening", url=f"http://{settings.supervisor.metrics_host}:{port}/metrics")
