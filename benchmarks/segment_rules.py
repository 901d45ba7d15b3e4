"""Segment rules over customer records: the default rule file and a custom one, customers per second.

    PYTHONPATH=. .venv/bin/python benchmarks/segment_rules.py [N]

Writes benchmarks/results/segment_rules.json. Records are synthetic, stored the way the importer
stores them (strings); the evaluation is column-wise (numpy) after one pass building columns.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date
from pathlib import Path

from machine_state import machine

from voicebot.campaign.segment_rules import default_rules, load_rules

CUSTOM = """
default: others
segments:
  - name: big_spenders
    when: 累计消费 >= 1万 and not (城市 in ["深圳", "广州"])
  - name: young_women
    when: 性别 == "female" and 年龄 < 35
  - name: store
    when: 客户来源 == "门店" or notes contains "老客户"
  - name: lapsed
    when: recency() > 300 or last_purchase_at is empty
"""


def records(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        bought = rng.random() < 0.9
        out.append({
            "orders_12m": str(rng.randint(0 if not bought else 1, 20)),
            "spend_12m": f"{rng.expovariate(1 / 3000):.2f}",
            "last_purchase_at": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if bought else "",
            "discount_order_share": f"{rng.random():.2f}", "coupon_uses": str(rng.randint(0, 6)),
            "member": rng.choice(["1", "0"]), "gender": rng.choice(["male", "female"]), "age": str(rng.randint(18, 70)),
            "city": rng.choice(["上海", "杭州", "深圳", "广州", "北京"]), "x_客户来源": rng.choice(["门店", "网站", "抖音"]),
            "notes": rng.choice(["", "老客户", "价格敏感"]), "categories": [],
        })
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    recs = records(n)
    today = date(2026, 3, 3)
    figures = {"machine": machine(), "customers": n}
    for name, rule_set in (("default_six", default_rules()), ("custom_four", load_rules(CUSTOM, "custom"))):
        t0 = time.perf_counter()
        segs = rule_set.assign(recs, today, {"x_客户来源"})
        dt = time.perf_counter() - t0
        figures[name] = {"seconds": round(dt, 2), "customers_per_s": round(n / dt),
                         "segments": {s: segs.count(s) for s in rule_set.names}}
    out = Path(__file__).parent / "results" / "segment_rules.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
