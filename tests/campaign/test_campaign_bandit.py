"""Script A/B bandit: converges to the best variant, keeps exploring, can be frozen; state in Redis."""

from __future__ import annotations

import random
from collections import Counter

from voicebot.campaign.bandit import ScriptBandit, wilson
from voicebot.campaign.keys import CampaignKeys

RATES = {"a": 0.10, "b": 0.30, "c": 0.15}


def test_thompson_sampling_converges_to_best_variant(redis_client):
    rng = random.Random(7)
    bandit = ScriptBandit(redis_client, CampaignKeys("ab"), min_explore=0.1, rng=rng)
    late = Counter()
    for i in range(1500):
        variant = bandit.choose("price_sensitive", list(RATES))
        bandit.record("price_sensitive", variant, rng.random() < RATES[variant])
        if i >= 1000:
            late[variant] += 1
    assert late["b"] / 500 > 0.75  # exploits the best script
    assert late["a"] > 0 and late["c"] > 0  # still explores (min share 10 % / 3 each)
    stats = {s.variant: s for s in ScriptBandit(redis_client, CampaignKeys("ab")).stats("price_sensitive")}
    assert sum(s.trials for s in stats.values()) == 1500
    assert stats["b"].p_best > 0.95
    assert stats["b"].ci_low <= RATES["b"] <= stats["b"].ci_high
    assert stats["b"].ci_low > stats["a"].rate


def test_freeze_and_wilson_interval(redis_client):
    bandit = ScriptBandit(redis_client, CampaignKeys("ab2"), min_explore=0.5, rng=random.Random(1))
    bandit.freeze("general", "c")
    assert {bandit.choose("general", ["a", "b", "c"]) for _ in range(50)} == {"c"}
    bandit.freeze("general", None)
    assert len({bandit.choose("general", ["a", "b", "c"]) for _ in range(100)}) == 3
    lo, hi = wilson(30, 100)
    assert 0.21 < lo < 0.22 and 0.39 < hi < 0.40
    assert wilson(0, 0) == (0.0, 1.0)
