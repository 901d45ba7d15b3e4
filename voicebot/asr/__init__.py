"""Speech recognition: one ``Recognizer`` interface, backend chosen by ``asr.backend``."""

from __future__ import annotations

import os
import threading

# Recognition threads must never starve the media clock thread (a stalled clock sends RTP in
# bursts, and the far end's jitter buffer grows: that is reply latency). OpenMP workers sleep
# instead of spinning when idle, and recognition runs at a lower CPU priority (below).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
RECOGNITION_NICENESS = 5

from voicebot.asr.base import Recognizer, RecognizerStream, Transcript  # noqa: E402 (after the environment above)
from voicebot.config import Settings  # noqa: E402

_cache: dict[tuple, Recognizer] = {}
_lock = threading.Lock()


def load_recognizer(settings: Settings) -> Recognizer:
    """Loaded once per process and shared by every call (keyed by the settings that matter)."""
    cfg = settings.asr
    if cfg.service not in ("off", "auto"):  # a recognition service owns the model (asr/service.py)
        from voicebot.asr.remote import RemoteRecognizer

        return RemoteRecognizer(cfg.service, cfg.service_timeout_s)
    model = cfg.whisper_model if cfg.backend == "whisper" else cfg.vosk_model
    key = (cfg.backend, model, cfg.model_dump_json())
    with _lock:
        if key not in _cache:
            if cfg.backend == "whisper":
                from voicebot.asr.models import resolve_whisper_model
                from voicebot.asr.whisper import WhisperRecognizer

                path = resolve_whisper_model(settings)
                _cache[key] = _in_low_priority_thread(
                    lambda: WhisperRecognizer(path, cfg.model_copy(deep=True), f"asr.whisper_model={model}"))
            else:
                from voicebot.asr.models import resolve_vosk_model
                from voicebot.asr.vosk_backend import VoskRecognizer

                _cache[key] = VoskRecognizer(resolve_vosk_model(settings))
        return _cache[key]


def _in_low_priority_thread(build):
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


__all__ = ["Recognizer", "RecognizerStream", "Transcript", "load_recognizer"]
