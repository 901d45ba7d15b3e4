"""Speech recognition: one ``Recognizer`` interface, backend chosen by ``asr.backend``."""

from __future__ import annotations

import threading

from voicebot.asr.base import Recognizer, RecognizerStream, Transcript
from voicebot.config import Settings

_cache: dict[tuple, Recognizer] = {}
_lock = threading.Lock()


def load_recognizer(settings: Settings) -> Recognizer:
    """Loaded once per process and shared by every call (keyed by the settings that matter)."""
    cfg = settings.asr
    model = cfg.whisper_model if cfg.backend == "whisper" else cfg.vosk_model
    key = (cfg.backend, model, cfg.compute_type, cfg.cpu_threads, cfg.num_workers, cfg.min_window_s, cfg.beam_size)
    with _lock:
        if key not in _cache:
            if cfg.backend == "whisper":
                from voicebot.asr.models import resolve_whisper_model
                from voicebot.asr.whisper import WhisperRecognizer

                _cache[key] = WhisperRecognizer(resolve_whisper_model(settings), cfg, f"asr.whisper_model={model}")
            else:
                from voicebot.asr.models import resolve_vosk_model
                from voicebot.asr.vosk_backend import VoskRecognizer

                _cache[key] = VoskRecognizer(resolve_vosk_model(settings))
        return _cache[key]


__all__ = ["Recognizer", "RecognizerStream", "Transcript", "load_recognizer"]
