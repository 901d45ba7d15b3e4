"""Per-call emotion detector: one instance per call, fed each callee turn in order.

Cost: one STFT + one YIN pass at 8 kHz, about 3 ms CPU per second of audio (see
benchmarks/emotion.py). That part, ``features``, keeps no state: the session runs it on a worker
pool as the turn ends, beside recognition. ``read_turn`` (the caller's baseline, the words, the
model: cheap) keeps per-call state and must see the turns in order, on one thread at a time.
``analyze_turn`` does both.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from voicebot.config import EmotionConfig
from voicebot.emotion.baseline import CallerBaseline
from voicebot.emotion.classifier import ProsodyModel, classify
from voicebot.emotion.features import (
    ProsodyFeatures,
    extract_features,
    frame_tracks,
    summarize,
    warm_up,
)
from voicebot.emotion.lexical import lexical_cues
from voicebot.emotion.types import EmotionReading
from voicebot.logs import get_logger

log = get_logger("voicebot.emotion")

_warm_lock = threading.Lock()
_warm = False
_models: dict[str, ProsodyModel] = {}


def prepare(model_path: str | Path | None = None) -> ProsodyModel:
    """Load the model once per process and warm librosa (first YIN call JIT-compiles, ~2 s)."""
    global _warm
    key = str(model_path or "")
    with _warm_lock:
        if not _warm:
            warm_up()
            _warm = True
        if key not in _models:
            _models[key] = ProsodyModel.load(model_path or None)
        return _models[key]


class EmotionDetector:
    def __init__(
        self,
        config: EmotionConfig | None = None,
        model: ProsodyModel | None = None,
        use_prosody: bool = True,
        use_lexical: bool | None = None,
    ) -> None:
        self.config = config or EmotionConfig()
        self.model = model or prepare(self.config.model_path or None)
        if model is not None:
            prepare(None)  # still warm librosa
        self.use_prosody = use_prosody
        self.use_lexical = self.config.use_lexical if use_lexical is None else use_lexical
        self.baseline = CallerBaseline()
        self.turn_index = 0
        self.last_features: ProsodyFeatures | None = None

    def analyze_turn(self, pcm: np.ndarray, sample_rate: int, text: str = "", no_match_count: int = 0) -> EmotionReading:
        return self.read_turn(self.features(pcm, sample_rate), text, no_match_count)

    def features(self, pcm: np.ndarray, sample_rate: int) -> ProsodyFeatures:
        """The turn's prosody (the costly part). Stateless: any thread, any order."""
        return extract_features(pcm, sample_rate)

    def read_turn(self, features: ProsodyFeatures, text: str = "", no_match_count: int = 0) -> EmotionReading:
        """The turn's reading from its features and words; turns in call order (the baseline learns)."""
        self.last_features = features
        return self._read(features, text, no_match_count, update_baseline=True)

    def _read(self, feats: ProsodyFeatures, text: str, no_match_count: int, update_baseline: bool) -> EmotionReading:
        prosody_ok = self.use_prosody and feats.speech_s >= self.config.min_speech_s
        z = self.baseline.zscores(feats) if prosody_ok else None
        cues = lexical_cues(text) if self.use_lexical else None
        decision = classify(z, self.model, cues, no_match_count, self.config.min_confidence)

        evidence: dict[str, float] = {f"z_{k}": round(v, 2) for k, v in (z or {}).items()}
        evidence.update(decision.drivers)
        evidence.update({f"p_{k}": v for k, v in decision.probs.items()})
        evidence["speech_s"] = round(feats.speech_s, 2)
        evidence["baseline_turns"] = float(self.baseline.n_turns)
        reading = EmotionReading(decision.label, decision.confidence, evidence, self.turn_index)  # type: ignore[arg-type]

        # The first turns teach the caller's normal voice, unless they already sound/say agitated.
        if (
            update_baseline
            and prosody_ok
            and feats.speech_s >= self.config.baseline_min_speech_s
            and self.baseline.n_turns < self.config.baseline_turns
            and self.turn_index < self.config.baseline_turns + 2
            and decision.label != "agitated"
        ):
            self.baseline.add(feats)
        if update_baseline:
            self.turn_index += 1
        log.debug("emotion_reading", label=reading.label, confidence=reading.confidence, turn=reading.turn_index)
        return reading

    def windows(self, pcm: np.ndarray, sample_rate: int, window_s: float = 1.0, hop_s: float = 0.5
                ) -> list[tuple[float, EmotionReading]]:  # fmt: skip
        """Prosody-only readings of rolling windows of one turn, against the caller's baseline.

        Indicative: the baseline and model are turn-level, and 1 s holds only 3-6 syllables, so
        pitch range and rate read lower/noisier than for whole turns. Does not advance the turn.
        """
        tracks = frame_tracks(pcm, sample_rate)
        hop_frames = round(hop_s * 100)
        win_frames = round(window_s * 100)
        out = []
        for start in range(0, max(len(tracks.rms_db) - win_frames, 0) + 1, hop_frames):
            feats = summarize(tracks, start, start + win_frames)
            if feats.speech_s < 0.2:
                continue
            out.append((start / 100.0, self._read(feats, "", 0, update_baseline=False)))
        return out
