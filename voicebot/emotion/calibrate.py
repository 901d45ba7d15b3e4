"""Fit the prosody model on labelled turns (the synthetic calibration split, or your own calls).

Input rows: dicts with ``path`` (any soundfile-readable audio), ``speaker`` (one id per caller/call),
``order`` (turn index in that call), ``label`` (neutral/positive/agitated/withdrawn). Each speaker's
turns run through a fresh baseline in order, exactly as a live call would, so the fitted z-scores
include the cautious first turns.
"""

from __future__ import annotations

from collections import defaultdict

from voicebot.audio.pcm import read_wav
from voicebot.config import EmotionConfig
from voicebot.emotion.baseline import FEATURES, CallerBaseline
from voicebot.emotion.classifier import ProsodyModel, fit
from voicebot.emotion.features import ProsodyFeatures, extract_features


def turn_zscores(rows: list[dict], config: EmotionConfig | None = None) -> list[tuple[dict, dict[str, float] | None]]:
    """(row, z-scores or None when the turn had too little speech), per speaker in turn order."""
    config = config or EmotionConfig()
    by_speaker: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_speaker[row["speaker"]].append(row)
    out: list[tuple[dict, dict[str, float] | None]] = []
    for speaker_rows in by_speaker.values():
        baseline = CallerBaseline()
        for row in sorted(speaker_rows, key=lambda r: r["order"]):
            pcm, rate = read_wav(row["path"])
            feats: ProsodyFeatures = extract_features(pcm, rate)
            if feats.speech_s < config.min_speech_s:
                out.append((row, None))
                continue
            out.append((row, baseline.zscores(feats)))
            # Same rule as the detector; the true label stands in for the not-yet-fitted model's.
            if baseline.n_turns < config.baseline_turns and row["order"] < config.baseline_turns + 2 and row["label"] != "agitated":
                baseline.add(feats)
    return out


def calibrate(rows: list[dict], config: EmotionConfig | None = None, c: float = 2.0, note: str = "") -> ProsodyModel:
    pairs = [(row, z) for row, z in turn_zscores(rows, config) if z is not None]
    return fit([z for _, z in pairs], [row["label"] for row, _ in pairs], tuple(FEATURES), c=c, note=note)
