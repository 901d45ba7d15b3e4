"""Where call events go: the structured log always, Redis when configured (console, other workers)."""

from __future__ import annotations

import os
import socket

from voicebot.call_events import CallEvent, EventSink
from voicebot.config import Settings
from voicebot.logs import get_logger

_log = get_logger("voicebot.events")


def log_sink(event: CallEvent) -> None:
    _log.debug("call_event", **event.as_dict())


def make_event_sinks(settings: Settings) -> list[EventSink]:
    sinks: list[EventSink] = [log_sink]
    if settings.redis.url or settings.supervisor.publish_events:
        from voicebot.store.events import RedisEventSink
        from voicebot.store.redis_server import connect_redis

        # The worker name tells the console which process holds a call.
        sinks.append(RedisEventSink(connect_redis(settings), maxlen=settings.campaign.events_stream_maxlen,
                                    worker=f"{socket.gethostname()}:{os.getpid()}"))
    if settings.recording.enabled:
        from voicebot.supervisor.recordings import RecordingIndexSink

        # <call-id>.json beside each recording, for the console (masked like the transcript)
        sinks.append(RecordingIndexSink(mask=settings.recording.mask_transcripts))
    return sinks
