"""Per-caller baseline: prosody z-scores against the callee's own first turns.

A normal-normal model per feature. Before any turn the caller is an unknown member of the
population (mean mu0, between-speaker sd sigma_b); each baseline turn narrows the estimate of this
caller's own mean, and z is measured with the within-speaker sd sigma_w plus what is still
uncertain about the mean. So turn 1 is judged against population defaults (wide, hence cautious),
and a naturally loud or high-pitched caller stops looking "excited" once their own turns are in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from voicebot.emotion.features import ProsodyFeatures


@dataclass(frozen=True)
class FeaturePrior:
    mean: float  # population mean
    between_sd: float  # how much speakers differ from each other
    within_sd: float  # how much one calm speaker varies turn to turn


# Population defaults for phone-band features as features.py measures them (semitones re 100 Hz,
# dBFS). Pitch from the phonetics literature (male ~110 Hz, female ~210 Hz); loudness around the
# -26 dBov nominal phone speech level; rate/pause/spectrum checked against the LibriVox and the
# synthetic calibration speakers' neutral turns (they depend on how features.py measures them).
PRIORS: dict[str, FeaturePrior] = {
    "pitch_median_st": FeaturePrior(6.0, 6.0, 1.2),
    "pitch_range_st": FeaturePrior(4.5, 1.8, 1.2),
    "pitch_std_st": FeaturePrior(1.8, 0.7, 0.5),
    "energy_mean_db": FeaturePrior(-30.0, 5.0, 1.5),
    "energy_std_db": FeaturePrior(7.5, 1.0, 0.6),
    "speech_rate_hz": FeaturePrior(4.0, 1.0, 0.8),
    "pause_ratio": FeaturePrior(0.05, 0.05, 0.06),
    "centroid_hz": FeaturePrior(950.0, 120.0, 100.0),
    "tilt_db": FeaturePrior(-5.0, 1.5, 1.5),
}
FEATURES = list(PRIORS)
WITHIN_PSEUDO_COUNT = 3.0  # the prior's within-speaker sd counts as this many observations
Z_CLIP = 5.0


@dataclass
class _Running:
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0  # Welford sum of squared deviations

    def add(self, x: float) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (x - self.mean)


class CallerBaseline:
    def __init__(self, priors: dict[str, FeaturePrior] | None = None) -> None:
        self.priors = priors or PRIORS
        self._stats = {name: _Running() for name in self.priors}

    @property
    def n_turns(self) -> int:
        return self._stats["energy_mean_db"].n

    def expected(self, name: str) -> tuple[float, float]:
        """(this caller's expected value, predictive sd) for a feature, given the turns seen."""
        prior, run = self.priors[name], self._stats[name]
        sb2 = prior.between_sd**2
        within2 = (WITHIN_PSEUDO_COUNT * prior.within_sd**2 + run.m2) / (WITHIN_PSEUDO_COUNT + max(run.n - 1, 0))
        precision = 1.0 / sb2 + run.n / within2
        mean = (prior.mean / sb2 + run.n * run.mean / within2) / precision
        return mean, math.sqrt(1.0 / precision + within2)

    def zscores(self, feats: ProsodyFeatures) -> dict[str, float]:
        out = {}
        for name in self.priors:
            mean, sd = self.expected(name)
            z = (getattr(feats, name) - mean) / sd
            out[name] = max(-Z_CLIP, min(Z_CLIP, z))
        if feats.voiced_ratio == 0.0 or feats.pitch_range_st == 0.0:  # no pitch measured: no pitch evidence
            for name in ("pitch_median_st", "pitch_range_st", "pitch_std_st"):
                out[name] = 0.0
        return out

    def add(self, feats: ProsodyFeatures) -> None:
        no_pitch = feats.voiced_ratio == 0.0 or feats.pitch_range_st == 0.0
        for name, run in self._stats.items():
            if no_pitch and name.startswith("pitch_"):
                continue
            run.add(float(getattr(feats, name)))
