"""Customer features, computed column-wise with numpy so a million customers plan in seconds.

Feature vector (``FEATURE_NAMES``, 24 dims, each in [0, 1] except the hour's sin/cos in [-1, 1]):

=====  ====================  ===========================================================
idx    name                  meaning
=====  ====================  ===========================================================
0      recency               exp(-days since last purchase / 90); 0 if never bought
1      frequency             log1p(orders in 12 months) / log1p(24), capped at 1
2      monetary              log1p(spend in 12 months) / log1p(20000), capped at 1
3      price_sensitivity     0.7 * share of orders on discount + 0.3 * min(coupon uses / 5, 1)
4-9    channel_<c>           one-hot preferred channel: phone, sms, wechat, app, web, store
10-17  affinity_<k>          share of the customer's categories in hash bucket k (8 buckets)
18-19  hour_sin, hour_cos    preferred local call hour on the 24 h circle (0, 0 if unknown)
20     hour_known            1 if a preferred hour is known
21     engagement            log1p(web/app visits in 30 days) / log1p(30), capped at 1
22     member                1 for loyalty-programme members
23     churn                 how overdue the next purchase is: (days / expected interval - 1) / 3,
                             clipped to [0, 1]; expected interval = 365 / orders
=====  ====================  ===========================================================

``weighted()`` scales blocks by the seed article's weights (recent activity 0.3, purchase
frequency 0.25, price sensitivity 0.2, channel 0.15, product affinity 0.1) for clustering.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from voicebot.campaign.values import CHANNELS

N_AFFINITY = 8
FEATURE_NAMES = (["recency", "frequency", "monetary", "price_sensitivity"]
                 + [f"channel_{c}" for c in CHANNELS] + [f"affinity_{k}" for k in range(N_AFFINITY)]
                 + ["hour_sin", "hour_cos", "hour_known", "engagement", "member", "churn"])
# Seed weights per block; the time/member block, not in the seed, gets a small share.
BLOCK_WEIGHTS = {
    "recent_activity": (0.30, [0, 21, 23]),
    "purchase_frequency": (0.25, [1, 2]),
    "price_sensitivity": (0.20, [3]),
    "channel_preference": (0.15, list(range(4, 10))),
    "product_affinity": (0.10, list(range(10, 18))),
    "time_and_membership": (0.05, [18, 19, 20, 22]),
}


def category_bucket(category: str) -> int:
    return zlib.crc32(category.strip().lower().encode()) % N_AFFINITY


@dataclass
class CustomerColumns:
    """Raw profile fields as arrays (one entry per customer); NaN = unknown."""

    days_since_purchase: np.ndarray
    orders_12m: np.ndarray
    spend_12m: np.ndarray
    discount_share: np.ndarray
    coupon_uses: np.ndarray
    channel: np.ndarray  # int index into CHANNELS, -1 unknown
    category_share: np.ndarray  # (n, N_AFFINITY)
    preferred_hour: np.ndarray
    visits_30d: np.ndarray
    member: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.orders_12m)


def _num(record: dict[str, Any], name: str, default: float = np.nan) -> float:
    value = record.get(name)
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def columns_from_records(records: list[dict[str, Any]], today: date) -> CustomerColumns:
    n = len(records)
    days = np.full(n, np.nan)
    share = np.zeros((n, N_AFFINITY))
    channel = np.full(n, -1, dtype=np.int16)
    for i, r in enumerate(records):
        if r.get("last_purchase_at"):
            days[i] = max(0, (today - date.fromisoformat(r["last_purchase_at"][:10])).days)
        cats = r.get("categories") or []
        for cat in cats:
            share[i, category_bucket(cat)] += 1.0 / len(cats)
        if r.get("channel") in CHANNELS:
            channel[i] = CHANNELS.index(r["channel"])
    return CustomerColumns(
        days_since_purchase=days,
        orders_12m=np.array([_num(r, "orders_12m", 0.0) for r in records]),
        spend_12m=np.array([_num(r, "spend_12m", 0.0) for r in records]),
        discount_share=np.array([_num(r, "discount_order_share", 0.0) for r in records]),
        coupon_uses=np.array([_num(r, "coupon_uses", 0.0) for r in records]),
        channel=channel,
        category_share=share,
        preferred_hour=np.array([_num(r, "preferred_hour") for r in records]),
        visits_30d=np.array([_num(r, "visits_30d", 0.0) for r in records]),
        member=np.array([str(r.get("member", "0")) in ("1", "True", "true") for r in records]),
    )


def price_sensitivity(cols: CustomerColumns) -> np.ndarray:
    return np.clip(0.7 * np.nan_to_num(cols.discount_share) + 0.3 * np.minimum(cols.coupon_uses / 5.0, 1.0), 0, 1)


def expected_interval_days(cols: CustomerColumns) -> np.ndarray:
    return 365.0 / np.maximum(cols.orders_12m, 1.0)


def feature_matrix(cols: CustomerColumns) -> np.ndarray:
    n = len(cols)
    x = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float32)
    bought = ~np.isnan(cols.days_since_purchase)
    days = np.nan_to_num(cols.days_since_purchase, nan=0.0)
    x[:, 0] = np.where(bought, np.exp(-days / 90.0), 0.0)
    x[:, 1] = np.minimum(np.log1p(cols.orders_12m) / np.log1p(24.0), 1.0)
    x[:, 2] = np.minimum(np.log1p(cols.spend_12m) / np.log1p(20000.0), 1.0)
    x[:, 3] = price_sensitivity(cols)
    known_channel = cols.channel >= 0
    x[np.nonzero(known_channel)[0], 4 + cols.channel[known_channel]] = 1.0
    x[:, 10:18] = cols.category_share
    hour_known = ~np.isnan(cols.preferred_hour)
    angle = np.nan_to_num(cols.preferred_hour) * (2 * np.pi / 24)
    x[:, 18] = np.where(hour_known, np.sin(angle), 0.0)
    x[:, 19] = np.where(hour_known, np.cos(angle), 0.0)
    x[:, 20] = hour_known
    x[:, 21] = np.minimum(np.log1p(cols.visits_30d) / np.log1p(30.0), 1.0)
    x[:, 22] = cols.member
    overdue = days / expected_interval_days(cols) - 1.0
    x[:, 23] = np.where(bought, np.clip(overdue / 3.0, 0.0, 1.0), 0.0)
    return x


def weighted(features: np.ndarray) -> np.ndarray:
    """Each block scaled so its share of squared distance follows the seed weights."""
    scale = np.ones(features.shape[1], dtype=np.float32)
    for weight, idx in BLOCK_WEIGHTS.values():
        scale[idx] = np.sqrt(weight / len(idx))
    return features * scale
