"""Campaign test data: synthetic customer exports whose personas land in known segments."""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = ["phone", "name", "persona", "orders_12m", "spend_12m", "last_purchase_at", "discount_order_share",
          "coupon_uses", "member", "preferred_hour", "channel", "categories"]
# persona -> profile columns that put the customer in a known segment
PROFILES = {
    "interested": ("8", "3000", "2026-02-20", "0.1", "0", "1", "", "phone", "shoes;bags"),       # brand_loyal
    "price_sensitive": ("3", "800", "2026-02-01", "0.8", "4", "0", "19", "sms", "snacks"),      # price_sensitive
    "refuse": ("2", "400", "2025-12-01", "0.2", "0", "0", "", "web", "books"),                  # general
    "busy": ("6", "9000", "2025-10-01", "0.1", "0", "1", "10", "phone", "watches"),              # high_value_churn_risk
    "no_answer": ("0", "0", "", "0", "0", "0", "", "web", ""),                                  # new_lead
    "voicemail": ("1", "300", "2025-05-01", "0.1", "0", "1", "", "app", "toys"),                # sleeping_member
    "stop_calling": ("3", "800", "2026-02-01", "0.9", "5", "0", "", "sms", "snacks"),           # price_sensitive
    "callback": ("8", "3000", "2026-02-25", "0.0", "0", "1", "14", "phone", "shoes"),           # brand_loyal
    "invalid": ("0", "0", "", "0", "0", "0", "", "", ""),
}


def phone_for(i: int) -> str:
    return f"139{10000000 + i:08d}"


def write_customers(path: Path, personas: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i, persona in enumerate(personas):
            phone = phone_for(i) if persona != "invalid" else f"+86 139{i:08d}"
            w.writerow([phone, f"客户{i}", persona, *PROFILES.get(persona, PROFILES["refuse"])])
    return path
