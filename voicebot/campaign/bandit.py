"""Script A/B testing per segment: Thompson sampling on Beta(1, 1)-prior posteriors.

The arms are the script variants the dialplan declares for the segment (``declare`` at planning);
success is what ``campaign.bandit_reward`` says (intent grade A/B, or a sale), and a call is a
trial only once the pitch was spoken (the worker decides). A minimum exploration share keeps every
variant measured; a segment can be frozen on one variant (e.g. once the winner is clear). State is
a Redis hash per segment, so every worker shares it: fields ``<variant>:n`` (trials),
``<variant>:s`` (successes), ``arms`` (declared variants, comma-separated), ``frozen``.
P(best) is computed over every declared arm, an untried one from its prior, so one lucky call on
one arm never shows as certainty.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import redis

from voicebot.store.keys import CampaignKeys


@dataclass
class VariantStats:
    variant: str
    trials: int
    successes: int
    rate: float
    ci_low: float  # Wilson 95 % interval
    ci_high: float
    p_best: float  # posterior probability this variant is the best


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval, always with 0 <= low <= rate <= high <= 1.

    At 0 % or 100 % the formula's bound equals the rate only analytically: in floats ``wilson(55, 55)``
    gave 0.9999999999999999, below the rate, and a chart's error bar went negative. The bounds are
    clamped around the rate here, so every consumer gets a well-formed interval."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"wilson: need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if successes == trials else max(p, min(1.0, centre + half))
    return low, high


def best_shares(samples: np.ndarray, counts: list[tuple[int, int]]) -> list[float]:
    """P(best) per arm from posterior draws (arms x draws); arms with the same (trials, successes)
    have the same posterior, so they get the mean of their sampled shares: untried arms read exactly
    equal instead of 0.322 / 0.335 / 0.343 from sampling noise."""
    raw = np.bincount(samples.argmax(axis=0), minlength=len(counts)) / samples.shape[1]
    groups: dict[tuple[int, int], list[int]] = {}
    for i, c in enumerate(counts):
        groups.setdefault(c, []).append(i)
    shares = [0.0] * len(counts)
    for members in groups.values():
        mean = float(raw[members].mean())
        for i in members:
            shares[i] = mean
    return shares


class ScriptBandit:
    def __init__(self, client: redis.Redis, ck: CampaignKeys, min_explore: float = 0.1,
                 rng: random.Random | None = None) -> None:
        self.client, self.ck, self.min_explore = client, ck, min_explore
        self.rng = rng or random.Random()

    def declare(self, segment: str, variants: list[str]) -> None:
        """The segment's arms, as the dialplan declares them (stats cover them even before a trial)."""
        if variants:
            self.client.hset(self.ck.bandit(segment), "arms", ",".join(variants))

    def arms(self, segment: str) -> list[str]:
        """Declared arms, then any other variant with trials (e.g. from an earlier plan)."""
        state = self.client.hgetall(self.ck.bandit(segment))
        declared = [v for v in state.get("arms", "").split(",") if v]
        tried = sorted({k.rsplit(":", 1)[0] for k in state if k.endswith((":n", ":s"))} - set(declared))
        return declared + tried

    def _counts(self, segment: str, variants: list[str]) -> tuple[dict[str, tuple[int, int]], str | None]:
        state = self.client.hgetall(self.ck.bandit(segment))
        counts = {v: (int(state.get(f"{v}:n", 0)), int(state.get(f"{v}:s", 0))) for v in variants}
        return counts, state.get("frozen") or None

    def choose(self, segment: str, variants: list[str]) -> str:
        if not variants:
            return ""
        counts, frozen = self._counts(segment, variants)
        if frozen in variants:
            return frozen
        if self.rng.random() < self.min_explore:
            return self.rng.choice(variants)
        draws = {v: self.rng.betavariate(1 + s, 1 + n - s) for v, (n, s) in counts.items()}
        return max(draws, key=draws.__getitem__)

    def record(self, segment: str, variant: str, success: bool, pipe: redis.client.Pipeline | None = None) -> None:
        if not variant:
            return
        target = pipe if pipe is not None else self.client.pipeline()
        target.hincrby(self.ck.bandit(segment), f"{variant}:n", 1)
        if success:
            target.hincrby(self.ck.bandit(segment), f"{variant}:s", 1)
        if pipe is None:
            target.execute()

    def freeze(self, segment: str, variant: str | None) -> None:
        """Serve only ``variant`` from now on; None lifts the freeze."""
        if variant:
            self.client.hset(self.ck.bandit(segment), "frozen", variant)
        else:
            self.client.hdel(self.ck.bandit(segment), "frozen")

    def stats(self, segment: str, variants: list[str] | None = None, draws: int = 4000) -> list[VariantStats]:
        if variants is None:
            variants = self.arms(segment)
        counts, _ = self._counts(segment, variants)
        if not variants:
            return []
        rng = np.random.default_rng(0)
        samples = np.stack([rng.beta(1 + s, 1 + n - s, draws) for n, s in counts.values()])
        p_best = best_shares(samples, list(counts.values()))
        out = []
        for i, (v, (n, s)) in enumerate(counts.items()):
            lo, hi = wilson(s, n)
            out.append(VariantStats(v, n, s, s / n if n else 0.0, lo, hi, p_best[i]))
        return out

    def segments(self) -> list[str]:
        prefix = self.ck.bandit_prefix
        return sorted(k[len(prefix):] for k in self.client.scan_iter(match=prefix + "*"))
