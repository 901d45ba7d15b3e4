"""Segments by documented rules (first match wins), tags, and optional k-means clusters.

======================  ====================================================================
segment                 rule (defaults in ``SegmentRules``)
======================  ====================================================================
new_lead                never bought (no last purchase, 0 orders in 12 months)
high_value_churn_risk   spend_12m >= 5000 and days since purchase >= max(45, 2 x the
                        customer's own expected interval 365/orders)
sleeping_member         member and days since purchase >= 180
price_sensitive         price sensitivity (feature 3) >= 0.5
brand_loyal             >= 4 orders, bought within 60 days, price sensitivity < 0.35
general                 everyone else
======================  ====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicebot.campaign.profiles import CustomerColumns, expected_interval_days, price_sensitivity, weighted
from voicebot.campaign.values import CHANNELS

SEGMENTS = ["new_lead", "high_value_churn_risk", "sleeping_member", "price_sensitive", "brand_loyal", "general"]


@dataclass(frozen=True)
class SegmentRules:
    high_value_spend: float = 5000.0
    churn_interval_factor: float = 2.0
    churn_min_days: float = 45.0
    sleeping_days: float = 180.0
    price_sensitive_min: float = 0.5
    loyal_min_orders: float = 4.0
    loyal_max_days: float = 60.0
    loyal_max_price_sensitivity: float = 0.35


def assign_segments(cols: CustomerColumns, rules: SegmentRules = SegmentRules()) -> np.ndarray:
    """Index into SEGMENTS per customer."""
    days = cols.days_since_purchase
    never = np.isnan(days) & (cols.orders_12m <= 0)
    d = np.nan_to_num(days, nan=np.inf)
    ps = price_sensitivity(cols)
    conditions = [
        never,
        (cols.spend_12m >= rules.high_value_spend)
        & (d >= np.maximum(rules.churn_min_days, rules.churn_interval_factor * expected_interval_days(cols))),
        cols.member & (d >= rules.sleeping_days),
        ps >= rules.price_sensitive_min,
        (cols.orders_12m >= rules.loyal_min_orders) & (d <= rules.loyal_max_days) & (ps < rules.loyal_max_price_sensitivity),
    ]
    return np.select(conditions, list(range(len(conditions))), default=len(conditions)).astype(np.int8)


TAG_NAMES = ["high_value", "churn_risk", "price_sensitive", "frequent_buyer", "web_active",
             "evening_person", "member", "coupon_user"] + [f"prefers_{c}" for c in CHANNELS]


def tag_matrix(cols: CustomerColumns, features: np.ndarray, rules: SegmentRules = SegmentRules()) -> np.ndarray:
    """(n, len(TAG_NAMES)) booleans; ``tags_for`` turns a row into names."""
    n = len(cols)
    tags = np.zeros((n, len(TAG_NAMES)), dtype=bool)
    tags[:, 0] = cols.spend_12m >= rules.high_value_spend
    tags[:, 1] = features[:, 23] >= 1 / 3  # at least twice overdue
    tags[:, 2] = features[:, 3] >= rules.price_sensitive_min
    tags[:, 3] = cols.orders_12m >= 6
    tags[:, 4] = cols.visits_30d >= 5
    tags[:, 5] = np.nan_to_num(cols.preferred_hour) >= 18
    tags[:, 6] = cols.member
    tags[:, 7] = cols.coupon_uses >= 2
    known = cols.channel >= 0
    tags[np.nonzero(known)[0], 8 + cols.channel[known]] = True
    return tags


def tags_for(row: np.ndarray) -> list[str]:
    return [TAG_NAMES[i] for i in np.nonzero(row)[0]]


def kmeans_clusters(features: np.ndarray, k: int, sample: int = 50_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cluster labels for every customer and the centroids (in weighted space), fit on a sample."""
    from sklearn.cluster import MiniBatchKMeans

    x = weighted(features)
    rng = np.random.default_rng(seed)
    fit_on = x if len(x) <= sample else x[rng.choice(len(x), sample, replace=False)]
    k = max(1, min(k, len(fit_on)))
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096).fit(fit_on)
    return model.predict(x).astype(np.int16), model.cluster_centers_
