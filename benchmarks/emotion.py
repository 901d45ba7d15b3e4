"""Emotion detection on the synthetic held-out speakers: accuracy, confusion, CPU cost.

    .venv/bin/python benchmarks/emotion.py [--refit]

--refit first fits the prosody model on the calibration speakers and writes
voicebot/emotion/model.json. Prints a summary and writes benchmarks/results/emotion.json.
The set is acted, synthetic prosody (see docs/emotion.md): the figures are an upper bound on calls.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "emotion"))

from make_eval_set import load_manifest

from voicebot.audio.pcm import read_wav
from voicebot.emotion.baseline import FEATURES
from voicebot.emotion.calibrate import calibrate, turn_zscores
from voicebot.emotion.classifier import CLASSES, MODEL_PATH, ProsodyModel, fit
from voicebot.emotion.detector import EmotionDetector
from voicebot.emotion.features import extract_features, warm_up
from voicebot.logs import configure_logging

RESULTS = REPO / "benchmarks" / "results" / "emotion.json"


def evaluate(rows: list[dict], model: ProsodyModel, use_lexical: bool) -> dict:
    """Run each speaker's turns through one detector, in call order."""
    by_speaker: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_speaker[row["speaker"]].append(row)
    confusion = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    per_speaker = {}
    for speaker, srows in sorted(by_speaker.items()):
        detector = EmotionDetector(model=model, use_lexical=use_lexical)
        hits = 0
        for row in sorted(srows, key=lambda r: r["order"]):
            pcm, rate = read_wav(row["path"])
            reading = detector.analyze_turn(pcm, rate, text=row["text"] if use_lexical else "")
            confusion[CLASSES.index(row["label"]), CLASSES.index(reading.label)] += 1
            hits += reading.label == row["label"]
        per_speaker[speaker] = round(hits / len(srows), 3)
    total = int(confusion.sum())
    recall = {c: round(float(confusion[i, i] / max(confusion[i].sum(), 1)), 3) for i, c in enumerate(CLASSES)}
    return {
        "turns": total,
        "accuracy": round(float(np.trace(confusion) / total), 3),
        "macro_recall": round(float(np.mean(list(recall.values()))), 3),
        "recall": recall,
        "confusion": {"rows_true_cols_predicted": list(CLASSES), "matrix": confusion.tolist()},
        "per_speaker_accuracy": per_speaker,
    }


def loso_cv(rows: list[dict], cs: tuple[float, ...] = (0.1, 0.5, 2.0, 5.0)) -> dict[str, float]:
    """Leave-one-speaker-out accuracy on the calibration split per regularisation C (how C was chosen)."""
    pairs = [(r, z) for r, z in turn_zscores(rows) if z is not None]
    speakers = sorted({r["speaker"] for r, _ in pairs})
    out = {}
    for c in cs:
        hits = 0
        for spk in speakers:
            train = [(r, z) for r, z in pairs if r["speaker"] != spk]
            model = fit([z for _, z in train], [r["label"] for r, _ in train], tuple(FEATURES), c=c)
            hits += sum(CLASSES[int(np.argmax(model.logits(z)))] == r["label"] for r, z in pairs if r["speaker"] == spk)
        out[f"C={c}"] = round(hits / len(pairs), 3)
    return out


def cpu_cost(rows: list[dict], repeats: int = 3) -> dict:
    """CPU ms per second of audio for feature extraction + classification (process CPU time)."""
    clips = [read_wav(r["path"]) for r in rows[:40]]
    audio_s = sum(len(p) / rate for p, rate in clips)
    detector = EmotionDetector()
    per_clip = []
    t0 = time.process_time()
    for _ in range(repeats):
        for pcm, rate in clips:
            c0 = time.process_time()
            detector.analyze_turn(pcm, rate, text="okay")
            per_clip.append((time.process_time() - c0) * 1000.0 / (len(pcm) / rate))
    total = time.process_time() - t0
    # 16 kHz input adds a resample to 8 kHz: measure it too.
    pcm16 = [(np.repeat(p, 2), 16000) for p, _ in clips[:10]]
    t1 = time.process_time()
    for pcm, rate in pcm16:
        extract_features(pcm, rate)
    ms16 = (time.process_time() - t1) * 1000.0 / sum(len(p) / 16000 for p, _ in pcm16)
    return {
        "cpu_ms_per_audio_s": round(total * 1000.0 / (audio_s * repeats), 2),
        "cpu_ms_per_audio_s_p95_clip": round(float(np.percentile(per_clip, 95)), 2),
        "cpu_ms_per_audio_s_16k_features": round(ms16, 2),
        "clips": len(clips),
        "audio_s": round(audio_s, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refit", action="store_true", help="fit model.json on the calibration split first")
    args = ap.parse_args()
    configure_logging("WARNING")
    rows = load_manifest()
    calibration = [r for r in rows if r["split"] == "calibration"]
    heldout = [r for r in rows if r["split"] == "heldout"]
    t = time.perf_counter()
    warm_up()  # the detector does this once per process; timed here to report the first-use cost
    warm_s = time.perf_counter() - t
    if args.refit:
        model = calibrate(calibration, note=f"fitted on {len(calibration)} synthetic calibration turns")
        model.save(MODEL_PATH)
    model = ProsodyModel.load(MODEL_PATH)
    result = {
        "set": {
            "calibration_turns": len(calibration),
            "heldout_turns": len(heldout),
            "heldout_speakers": sorted({r["speaker"] for r in heldout}),
            "note": "synthetic acted prosody (espeak-ng, Piper) + LibriVox read speech (neutral), "
            "300-3400 Hz, 8 kHz G.711 mu-law; an upper bound on real calls",
        },
        "heldout_prosody_only": evaluate(heldout, model, use_lexical=False),
        "heldout_prosody_lexical": evaluate(heldout, model, use_lexical=True),
        "calibration_prosody_only": evaluate(calibration, model, use_lexical=False),
        "calibration_loso_cv_prosody_only": loso_cv(calibration),
        "cost": cpu_cost(heldout) | {"first_use_warmup_s": round(warm_s, 2)},
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    for key in ("heldout_prosody_only", "heldout_prosody_lexical", "calibration_prosody_only"):
        r = result[key]
        print(f"{key:26s} accuracy {r['accuracy']:.3f}  macro recall {r['macro_recall']:.3f}  ({r['turns']} turns)")
        print("   true\\pred " + " ".join(f"{c[:8]:>8s}" for c in CLASSES))
        for c, line in zip(CLASSES, r["confusion"]["matrix"]):
            print(f"   {c:9s} " + " ".join(f"{v:8d}" for v in line))
    print(f"calibration leave-one-speaker-out accuracy by C: {result['calibration_loso_cv_prosody_only']}")
    cost = result["cost"]
    print(f"CPU {cost['cpu_ms_per_audio_s']} ms per s of audio (p95 clip {cost['cpu_ms_per_audio_s_p95_clip']}, "
          f"16 kHz features {cost['cpu_ms_per_audio_s_16k_features']}); first-use warm-up {cost['first_use_warmup_s']} s")  # fmt: skip
    print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
