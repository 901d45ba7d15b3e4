"""The report never crashes on a rate at 0 % or 100 %: the Wilson interval always holds its rate,
the A/B chart's error bars are never negative, and untried arms share P(best) equally (#21 item 1)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from hypothesis import given, settings, strategies as st

from voicebot.campaign.bandit import ScriptBandit, wilson
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.keys import CampaignKeys
from voicebot.campaign.report import write_report
from voicebot.campaign.report_charts import interval_errors, variant_bars
from voicebot.config import CampaignConfig


@st.composite
def counts(draw) -> tuple[int, int]:
    trials = draw(st.integers(0, 200))
    return draw(st.integers(0, trials)), trials


def test_wilson_holds_its_rate_for_every_count_up_to_200():
    # Exhaustive: 20,301 pairs, a few milliseconds. wilson(55, 55) used to give 0.9999999999999999.
    for trials in range(201):
        for wins in range(trials + 1):
            lo, hi = wilson(wins, trials)
            rate = wins / trials if trials else 0.0
            assert 0.0 <= lo <= rate <= hi <= 1.0, (wins, trials, lo, hi)
            below, above = interval_errors([rate], [lo], [hi])
            assert below[0] >= 0.0 and above[0] >= 0.0
    assert wilson(55, 55)[1] == 1.0 and wilson(0, 22)[0] == 0.0


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError, match="3/2"):
        wilson(3, 2)


@settings(max_examples=300, deadline=None)
@given(st.lists(counts(), min_size=1, max_size=4))
def test_variant_chart_draws_for_every_count(arms):
    # Drawing into Axes is where matplotlib refused the negative yerr; saving is not needed for that.
    fig, ax = plt.subplots()
    try:
        rates = [w / n if n else 0.0 for w, n in arms]
        bounds = [wilson(w, n) for w, n in arms]
        variant_bars(ax, [f"v{i}" for i in range(len(arms))], rates, [b[0] for b in bounds],
                     [b[1] for b in bounds], [n for _, n in arms], "A/B", "%")
    finally:
        plt.close(fig)


def test_report_renders_with_arms_at_100_and_0_percent(redis_client, tmp_path):
    Campaign(redis_client, "edge").create(locale="zh-CN")
    bandit = ScriptBandit(redis_client, CampaignKeys("edge"))
    bandit.declare("general", ["warm", "cold", "untried"])
    for _ in range(55):
        bandit.record("general", "warm", True)
    for _ in range(22):
        bandit.record("general", "cold", False)
    files = write_report(redis_client, "edge", tmp_path / "r", CampaignConfig())
    assert (tmp_path / "r" / "variants.png").read_bytes()[:4] == b"\x89PNG"
    page = files.html.read_text(encoding="utf-8")
    assert "93.5% – 100.0%" in page and "0.0% – 14.9%" in page


def test_untried_arms_show_equal_chance_of_being_best(redis_client):
    bandit = ScriptBandit(redis_client, CampaignKeys("fresh"))
    bandit.declare("general", ["a", "b", "c"])
    shares = [s.p_best for s in bandit.stats("general")]
    assert shares[0] == shares[1] == shares[2] and abs(sum(shares) - 1.0) < 1e-9
    bandit.record("general", "a", True)
    stats = {s.variant: s.p_best for s in bandit.stats("general")}
    assert stats["b"] == stats["c"] < stats["a"]
