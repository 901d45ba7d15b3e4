"""Each customer's plan: dialplan, script variants, offer, best call window, follow-up timing.

The strategy table follows the seed article (客户类型 -> 推荐话术 / 优惠策略 / 跟进时机):
high-value churn risk -> dedicated agent + spend-and-save coupon + follow up within 2 h;
price-sensitive -> limited-time discount + tiered offer + next day;
brand-loyal -> new products + member points + 3 days later. The other segments are ours.
The script variants (the A/B test's arms) are not listed here: they are whatever the dialplan
declares for the segment (``voicebot/campaign/scripts.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np

from voicebot.campaign.profiles import CustomerColumns, feature_matrix
from voicebot.campaign.segments import SEGMENTS, SegmentRules, assign_segments, tag_matrix, tags_for

HOUR = 3600.0
# (segment, campaign dialplan name, strategy) -> the declared script variants
ArmsFor = Callable[[str, str, str], list[str]]


@dataclass(frozen=True)
class Strategy:
    dialplan: str
    offer: str
    follow_up_s: float
    follow_up_by: str  # "agent" (a person calls) or "bot"
    priority: int  # 0 = call first


STRATEGIES: dict[str, Strategy] = {
    "high_value_churn_risk": Strategy("retention_vip", "spend_and_save_coupon", 2 * HOUR, "agent", 0),
    "price_sensitive": Strategy("promo_discount", "tiered_discount", 24 * HOUR, "bot", 2),
    "brand_loyal": Strategy("new_product", "member_points", 72 * HOUR, "bot", 3),
    "sleeping_member": Strategy("reactivation", "comeback_points_bonus", 48 * HOUR, "bot", 1),
    "new_lead": Strategy("introduction", "first_order_discount", 24 * HOUR, "bot", 2),
    "general": Strategy("general", "none", 72 * HOUR, "bot", 4),
}


@dataclass
class CustomerPlan:
    customer_id: str
    segment: str
    dialplan: str
    variants: list[str]
    offer: str
    window_start_hour: int  # local time; preferred window tried first
    window_end_hour: int
    follow_up_s: float
    follow_up_by: str
    priority: int
    tags: list[str]
    cluster: int = -1
    strategy: str = ""  # the STRATEGIES key (a user's segment names its own; the dialplan may know only this)

    def to_fields(self) -> dict[str, str]:
        fields = {k: str(v) for k, v in asdict(self).items() if k not in ("variants", "tags")}
        fields["variants"] = ",".join(self.variants)
        fields["tags"] = ",".join(self.tags)
        return fields


@dataclass
class PlanArrays:
    """Plans for many customers at once (the vectorised form)."""

    segment: np.ndarray  # index into SEGMENTS
    window_start: np.ndarray
    window_end: np.ndarray
    features: np.ndarray
    tags: np.ndarray  # bool (n, len(TAG_NAMES))


def best_windows(preferred_hour: np.ndarray, open_hour: int, close_hour: int,
                 width: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """A `width`-hour window at the preferred hour, pushed inside calling hours; all calling
    hours when the preference is unknown (then the first allowed time is the best one)."""
    known = ~np.isnan(preferred_hour)
    start = np.clip(np.nan_to_num(preferred_hour), open_hour, max(open_hour, close_hour - width))
    start = np.where(known, start, open_hour).astype(np.int8)
    end = np.where(known, np.minimum(start + width, close_hour), close_hour).astype(np.int8)
    return start, end


def plan_arrays(cols: CustomerColumns, open_hour: int = 9, close_hour: int = 20,
                rules: SegmentRules = SegmentRules()) -> PlanArrays:
    features = feature_matrix(cols)
    start, end = best_windows(cols.preferred_hour, open_hour, close_hour)
    return PlanArrays(assign_segments(cols, rules), start, end, features, tag_matrix(cols, features, rules))


def plans_for(customer_ids: list[str], records: list[dict], today: date, open_hour: int = 9, close_hour: int = 20,
              kmeans_k: int = 0, segments: list[str] | None = None,
              strategy_of: dict[str, str] | None = None, arms: ArmsFor | None = None) -> list[CustomerPlan]:
    """``segments``: each customer's segment from a rule file (else the built-in rules);
    ``strategy_of``: segment -> STRATEGIES key (a user's segment without one plans as general);
    ``arms``: the dialplan's script variants for a segment (none: no A/B test)."""
    from voicebot.campaign.profiles import columns_from_records
    from voicebot.campaign.segments import kmeans_clusters

    arrays = plan_arrays(columns_from_records(records, today), open_hour, close_hour)
    clusters = kmeans_clusters(arrays.features, kmeans_k)[0] if kmeans_k > 0 and records else None
    plans = []
    for i, cid in enumerate(customer_ids):
        segment = segments[i] if segments is not None else SEGMENTS[arrays.segment[i]]
        key = (strategy_of or {}).get(segment, segment)
        key = key if key in STRATEGIES else "general"
        s = STRATEGIES[key]
        tags = tags_for(arrays.tags[i])
        cluster = int(clusters[i]) if clusters is not None else -1
        if cluster >= 0:
            tags.append(f"cluster_{cluster}")
        variants = arms(segment, s.dialplan, key) if arms is not None else []
        plans.append(CustomerPlan(cid, segment, s.dialplan, variants, s.offer, int(arrays.window_start[i]),
                                  int(arrays.window_end[i]), s.follow_up_s, s.follow_up_by, s.priority, tags, cluster,
                                  key))
    return plans
