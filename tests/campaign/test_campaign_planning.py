"""Segments by the documented rules, feature vectors, plans per the seed's strategy table, k-means."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from voicebot.campaign.plans import plans_for
from voicebot.campaign.profiles import FEATURE_NAMES, columns_from_records, feature_matrix
from voicebot.campaign.scripts import CampaignScripts
from voicebot.campaign.segments import SEGMENTS, assign_segments
from voicebot.dialogue.plan import load_dialplan

ROOT = Path(__file__).resolve().parents[2]

TODAY = date(2026, 3, 3)
CASES = {
    # segment: profile
    "new_lead": {"orders_12m": "0", "visits_30d": "7", "channel": "web"},
    "high_value_churn_risk": {"orders_12m": "12", "spend_12m": "15000", "last_purchase_at": "2025-12-20"},
    "sleeping_member": {"orders_12m": "1", "spend_12m": "200", "last_purchase_at": "2025-06-01", "member": "1"},
    "price_sensitive": {"orders_12m": "5", "spend_12m": "900", "last_purchase_at": "2026-02-20",
                        "discount_order_share": "0.8", "coupon_uses": "3", "preferred_hour": "19"},
    "brand_loyal": {"orders_12m": "6", "spend_12m": "3000", "last_purchase_at": "2026-02-25",
                    "discount_order_share": "0.1", "categories": ["shoes", "bags"], "preferred_hour": "7"},
    "general": {"orders_12m": "2", "spend_12m": "300", "last_purchase_at": "2025-12-20", "discount_order_share": "0.2"},
}


def test_segments_follow_the_rules():
    cols = columns_from_records(list(CASES.values()), TODAY)
    assert [SEGMENTS[i] for i in assign_segments(cols)] == list(CASES)
    # A high spender who bought recently is not a churn risk: a 12-order customer buys every ~30 days.
    recent = columns_from_records([{**CASES["high_value_churn_risk"], "last_purchase_at": "2026-02-20"}], TODAY)
    assert SEGMENTS[assign_segments(recent)[0]] != "high_value_churn_risk"


def test_feature_vector_is_normalised_and_documented():
    x = feature_matrix(columns_from_records(list(CASES.values()), TODAY))
    assert x.shape == (len(CASES), len(FEATURE_NAMES)) == (6, 24)
    assert np.all(x[:, :18] >= 0) and np.all(x[:, :18] <= 1) and np.all(np.abs(x) <= 1)
    loyal, lead = x[list(CASES).index("brand_loyal")], x[list(CASES).index("new_lead")]
    assert loyal[FEATURE_NAMES.index("recency")] > 0.9 and lead[FEATURE_NAMES.index("recency")] == 0
    assert lead[FEATURE_NAMES.index("channel_web")] == 1 and abs(loyal[10:18].sum() - 1) < 1e-6


def test_plans_follow_the_seed_strategy_table():
    ids = [f"c{i}" for i in range(len(CASES))]
    scripts = CampaignScripts([load_dialplan(ROOT / "dialplans/outbound_marketing_zh.yaml")])
    arms = lambda segment, dialplan, strategy: scripts.arms(dialplan, "zh-CN", segment, strategy)  # noqa: E731
    plans = {p.segment: p for p in plans_for(ids, list(CASES.values()), TODAY, 9, 20, kmeans_k=3, arms=arms)}
    vip = plans["high_value_churn_risk"]
    assert (vip.offer, vip.follow_up_s, vip.follow_up_by) == ("spend_and_save_coupon", 2 * 3600, "agent")
    # The A/B arms are exactly the variants the dialplan declares for the segment.
    assert vip.variants == ["dedicated-advisor", "care-apology", "exclusive-benefit"]
    assert plans["general"].variants == ["quiet-clean", "family-health", "no-risk"]  # the plan's default segment
    price = plans["price_sensitive"]
    assert (price.offer, price.follow_up_s) == ("tiered_discount", 24 * 3600)
    assert (price.window_start_hour, price.window_end_hour) == (18, 20)  # 19:00 pushed inside 09-20
    loyal = plans["brand_loyal"]
    assert (loyal.offer, loyal.follow_up_s, loyal.window_start_hour) == ("member_points", 72 * 3600, 9)
    assert all(len(p.variants) == 3 for p in plans.values())
    assert all(0 <= p.cluster < 3 and f"cluster_{p.cluster}" in p.tags for p in plans.values())
    assert "price_sensitive" in price.tags and "evening_person" in price.tags
