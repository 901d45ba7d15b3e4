"""Speech recognition: one ``Recognizer`` interface; ``asr.backend`` names a registered engine."""

from __future__ import annotations

import os
import threading
from typing import Callable, TypeVar

# Recognition threads must never starve the media clock thread (a stalled clock sends RTP in
# bursts, and the far end's jitter buffer grows: that is reply latency). OpenMP workers sleep
# instead of spinning when idle, and recognition runs at a lower CPU priority (below).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
RECOGNITION_NICENESS = 5
T = TypeVar("T")

from voicebot.asr.base import Recognizer, RecognizerStream, Transcript  # noqa: E402 (after the environment above)
from voicebot.config import Settings  # noqa: E402
from voicebot.engine_registry import ASR_ENGINES  # noqa: E402

_cache: dict[tuple, Recognizer] = {}
_lock = threading.Lock()


def load_recognizer(settings: Settings) -> Recognizer:
    """Loaded once per process and shared by every call (keyed by the settings that matter). The
    engine is the registered one ``asr.backend`` names (voicebot/engine_registry.py)."""
    cfg = settings.asr
    if cfg.service not in ("off", "auto"):  # a recognition service owns the model (asr/service.py)
        from voicebot.asr.remote import RemoteRecognizer

        return RemoteRecognizer(cfg.service, cfg.service_timeout_s)
    spec = ASR_ENGINES.get(cfg.backend)
    key = (cfg.backend, cfg.model_dump_json())
    with _lock:
        if key not in _cache:
            _cache[key] = spec.factory(settings)
        return _cache[key]


def in_low_priority_thread(build: Callable[[], T]) -> T:
    """CTranslate2 creates its compute threads when the model loads; they inherit the niceness of
    the loading thread. Load from a short-lived thread that lowered its own priority."""
    result: dict = {}

    def run() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), RECOGNITION_NICENESS)
        except OSError:
            pass  # not permitted here: recognition simply runs at normal priority
        try:
            result["value"] = build()
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    t = threading.Thread(target=run, name="asr-load")
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


__all__ = ["Recognizer", "RecognizerStream", "Transcript", "in_low_priority_thread", "load_recognizer"]
