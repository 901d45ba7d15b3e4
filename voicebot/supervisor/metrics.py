"""Prometheus metrics of a bot process, fed from its call events and existing counters.

Nothing here runs in the media callback: the event sink updates counters on the session thread
at call events (a few per turn), and gauges/counters owned by other objects (active sessions,
Redis sink errors) are read only when Prometheus scrapes.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from voicebot.call_events import CallEvent

LATENCY_BUCKETS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0)
WORK_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


class BotMetrics:
    """Metric names (used by the Grafana dashboard in this folder):

    voicebot_active_calls, voicebot_calls_started_total, voicebot_calls_total{outcome},
    voicebot_reply_latency_seconds (end of callee speech -> first bot audio),
    voicebot_asr_seconds, voicebot_tts_seconds, voicebot_frame_callback_overruns_total,
    voicebot_late_clock_ticks_total, voicebot_redis_errors_total{kind}, voicebot_events_total{type},
    voicebot_registration_state{registrar,state} (1 registered, 0 not, -1 direct mode: no registrar).
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.calls_started = Counter("voicebot_calls_started", "Calls started", registry=r)
        self.calls = Counter("voicebot_calls", "Calls ended, by outcome (answered_by)", ["outcome"], registry=r)
        self.events = Counter("voicebot_events", "Call events published, by type", ["type"], registry=r)
        self.reply_latency = Histogram("voicebot_reply_latency_seconds",
                                       "End of callee speech to first bot audio", buckets=LATENCY_BUCKETS, registry=r)
        self.asr = Histogram("voicebot_asr_seconds", "Recognition time per callee turn", buckets=WORK_BUCKETS,
                             registry=r)
        self.tts = Histogram("voicebot_tts_seconds", "Synthesis time per sentence (prompt-cache misses)",
                             buckets=WORK_BUCKETS, registry=r)
        self.overruns = Counter("voicebot_frame_callback_overruns",
                                "Media frame callbacks slower than 1 ms (counted at call end)", registry=r)
        self.late_ticks = Counter("voicebot_late_clock_ticks",
                                  "Media clock ticks more than 2 frames late (counted at call end)", registry=r)
        self._active: Callable[[], int] = lambda: 0
        self._redis_errors: list[tuple[str, Callable[[], int]]] = []
        self._registration: Callable[[], Any] | None = None
        r.register(_ReadAtScrape(self))

    def watch_active(self, count: Callable[[], int]) -> None:
        self._active = count

    def watch_registration(self, status: Callable[[], Any]) -> None:
        """``status()`` returns a ``RegistrationStatus`` (state, registrar)."""
        self._registration = status

    def watch_redis_errors(self, kind: str, count: Callable[[], int]) -> None:
        self._redis_errors.append((kind, count))

    def __call__(self, event: CallEvent) -> None:
        """The event sink."""
        data = event.data
        self.events.labels(event.type).inc()
        if event.type == "call_started":
            self.calls_started.inc()
        elif event.type == "user_turn" and data.get("asr_ms") is not None:
            self.asr.observe(float(data["asr_ms"]) / 1000)
        elif event.type == "reply_latency":  # one per answered callee turn, as the reply plays
            self.reply_latency.observe(float(data["latency_ms"]) / 1000)
        elif event.type == "call_ended":
            outcome: dict[str, Any] = data.get("outcome") or {}
            self.calls.labels(str(outcome.get("answered_by") or "unknown")).inc()
            media = data.get("media") or {}
            self.overruns.inc(int(media.get("overruns") or 0))
            self.late_ticks.inc(int(media.get("late_ticks") or 0))

    def observe_tts(self, seconds: float) -> None:
        self.tts.observe(seconds)


class _ReadAtScrape:
    """Values owned by other objects, read when Prometheus scrapes (never pushed from hot code)."""

    def __init__(self, metrics: BotMetrics) -> None:
        self.m = metrics

    def collect(self) -> Iterable[Any]:
        yield GaugeMetricFamily("voicebot_active_calls", "Calls in progress in this process", value=self.m._active())
        errors = CounterMetricFamily("voicebot_redis_errors", "Redis writes that failed or were dropped", labels=["kind"])
        for kind, count in self.m._redis_errors:
            errors.add_metric([kind], float(count()))
        yield errors
        if self.m._registration is not None:
            st = self.m._registration()
            reg = GaugeMetricFamily("voicebot_registration_state",
                                    "1 registered at the PBX, 0 not registered, -1 no registrar (direct mode)",
                                    labels=["registrar", "state"])
            reg.add_metric([st.registrar, st.state], {"registered": 1.0, "direct": -1.0}.get(st.state, 0.0))
            yield reg
