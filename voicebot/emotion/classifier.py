"""Turn classification: a small multinomial logistic regression on prosody z-scores (coefficients
fitted on the calibration split, stored in ``model.json``), plus transparent lexical and dialogue
context terms added to the logits.

The lexical/context weights are hand-set log-odds, not fitted: the only labelled data here is our
own synthetic set, whose word choice we made up, so fitting them there would be circular.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicebot.emotion.lexical import LexicalCues

CLASSES = ("neutral", "positive", "agitated", "withdrawn")
MODEL_PATH = Path(__file__).with_name("model.json")

# Log-odds added per lexical hit (a second hit adds half as much again; more add nothing).
LEXICAL_WEIGHTS = {"agitated": 2.6, "positive": 2.0, "withdrawn": 1.6}
SHORT_ANSWER_WEIGHT = 0.6  # -> withdrawn
NO_MATCH_WEIGHT = 0.5  # -> agitated, per consecutive no-match (the bot keeps misunderstanding), max 3
# Fitted on acted prosody, the model is overconfident (calm agitation never occurs there), so
# prosody may rule a class out by at most this many log-odds (~20:1): a calm "this is a scam, stop
# calling me" can still read agitated. It never changes the prosody-only winner.
PROSODY_MAX_LOG_ODDS = 3.0
# Prosody hears arousal well and valence badly: a loud, high, bright voice reads "positive" as
# readily as "agitated" (both are aroused in acted speech). So when the words take a side and
# prosody prefers the other aroused class, prosody's edge between those two does not count:
# "Stop calling me! This is harassment!" shouted is agitated, "Great, thank you!" shouted is positive.
AROUSED_PAIR = ("positive", "agitated")
# Without usable prosody (a 0.2 s "滚"): a mild lean to neutral, words decide.
NO_PROSODY_LOGITS = np.array([1.0, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class ProsodyModel:
    features: tuple[str, ...]
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)
    note: str = ""

    @classmethod
    def load(cls, path: Path | str | None = None) -> ProsodyModel:
        data = json.loads(Path(path or MODEL_PATH).read_text(encoding="utf-8"))
        if tuple(data["classes"]) != CLASSES:
            raise ValueError(f"model classes {data['classes']} != {CLASSES}")
        return cls(tuple(data["features"]), np.asarray(data["coef"], float), np.asarray(data["intercept"], float),
                   data.get("note", ""))  # fmt: skip

    def save(self, path: Path | str | None = None) -> None:
        data = {
            "classes": list(CLASSES),
            "features": list(self.features),
            "coef": np.round(self.coef, 3).tolist(),
            "intercept": np.round(self.intercept, 3).tolist(),
            "note": self.note,
        }
        Path(path or MODEL_PATH).write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")

    def vector(self, z: dict[str, float]) -> np.ndarray:
        return np.array([z.get(name, 0.0) for name in self.features])

    def logits(self, z: dict[str, float]) -> np.ndarray:
        return self.coef @ self.vector(z) + self.intercept


@dataclass(frozen=True)
class Decision:
    label: str
    confidence: float
    probs: dict[str, float]
    drivers: dict[str, float]  # feature/cue -> its log-odds push towards the chosen label vs neutral


def _lexical_logits(cues: LexicalCues | None, no_match_count: int) -> tuple[np.ndarray, dict[str, float]]:
    out = np.zeros(len(CLASSES))
    drivers: dict[str, float] = {}
    if cues is not None:
        for label, weight in LEXICAL_WEIGHTS.items():
            hits = getattr(cues, label)
            if hits:
                push = weight * (1.0 if len(hits) == 1 else 1.5)
                out[CLASSES.index(label)] += push
                for hit in hits:
                    drivers[f"lex_{label}:{hit}"] = round(push / len(hits), 3)
        if cues.short_answer:
            out[CLASSES.index("withdrawn")] += SHORT_ANSWER_WEIGHT
            drivers["lex_withdrawn:short_answer"] = SHORT_ANSWER_WEIGHT
    if no_match_count > 0:
        push = NO_MATCH_WEIGHT * min(no_match_count, 3)
        out[CLASSES.index("agitated")] += push
        drivers["no_match_count"] = float(no_match_count)
    return out, drivers


def _words_decide_valence(logits: np.ndarray, cues: LexicalCues | None) -> np.ndarray:
    """Between the two aroused classes, the side the words take keeps at least prosody's score for
    the other one (see AROUSED_PAIR)."""
    if cues is None or bool(cues.agitated) == bool(cues.positive):
        return logits
    said, other = (CLASSES.index("agitated"), CLASSES.index("positive")) if cues.agitated else (
        CLASSES.index("positive"), CLASSES.index("agitated"))
    out = logits.copy()
    out[said] = max(out[said], out[other])
    return out


def classify(
    z: dict[str, float] | None,
    model: ProsodyModel,
    cues: LexicalCues | None = None,
    no_match_count: int = 0,
    min_confidence: float = 0.0,
) -> Decision:
    """z = None means no usable prosody (too little speech): words and context decide."""
    if z is not None:
        logits = model.logits(z)
        logits = np.maximum(logits, logits.max() - PROSODY_MAX_LOG_ODDS)
        logits = _words_decide_valence(logits, cues)
    else:
        logits = NO_PROSODY_LOGITS.copy()
    lex, drivers = _lexical_logits(cues, no_match_count)
    logits = logits + lex
    p = np.exp(logits - logits.max())
    p /= p.sum()
    best = int(np.argmax(p))
    label, confidence = CLASSES[best], float(p[best])
    if label != "neutral" and confidence < min_confidence:
        label, confidence = "neutral", float(max(p[0], 1.0 - p[best]))
    if z is not None and label != "neutral":
        # Which prosody features pushed towards this label rather than neutral.
        k = CLASSES.index(label)
        push = (model.coef[k] - model.coef[0]) * model.vector(z)
        for name, value in zip(model.features, push):
            if abs(value) >= 0.3:
                drivers[f"push_{name}"] = round(float(value), 3)
    return Decision(label, round(confidence, 3), {c: round(float(v), 3) for c, v in zip(CLASSES, p)}, drivers)


def fit(z_rows: list[dict[str, float]], labels: list[str], features: tuple[str, ...], c: float = 2.0,
        note: str = "") -> ProsodyModel:  # fmt: skip
    """Multinomial logistic regression, balanced classes, L2 (sklearn; only used when calibrating)."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[row.get(f, 0.0) for f in features] for row in z_rows])
    y = np.array([CLASSES.index(lab) for lab in labels])
    missing = set(CLASSES) - set(labels)
    if missing:
        raise ValueError(f"calibration data has no {sorted(missing)} turns; every class needs examples")
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    clf.fit(x, y)
    coef = np.zeros((len(CLASSES), len(features)))
    intercept = np.zeros(len(CLASSES))
    for row, cls in enumerate(clf.classes_):
        coef[cls], intercept[cls] = clf.coef_[row], clf.intercept_[row]
    return ProsodyModel(features, coef, intercept, note)
