"""Segment rules evaluated over columns: every operator, with missing values never matching."""

from __future__ import annotations

import pytest

from voicebot.campaign import rules
from voicebot.campaign.rules import Columns, RuleError

CUSTOMERS = [
    {"age": "35", "spend_12m": "1200", "city": "杭州", "notes": "老客户, VIP", "member": "True", "tags": ["a", "b"]},
    {"age": "62", "spend_12m": "1.2万", "city": "上海", "notes": "", "member": "False"},
    {"age": "", "spend_12m": None, "city": "", "notes": "new", "member": None},
]


def _mask(rule: str, helpers=None) -> list:
    cols = Columns(CUSTOMERS, lambda name: name, helpers or {})
    return [bool(v) for v in rules.evaluate(rules.parse(rule), cols)]


@pytest.mark.parametrize(("rule", "expected"), [
    ("age >= 40", [False, True, False]),
    ("age != 35", [False, True, False]),  # missing never matches, not even !=
    ("age + 10 > 70", [False, True, False]),
    ("spend_12m / 2 > 1000", [False, True, False]),
    ("-age < -40", [False, True, False]),
    ("max(age, 50) == 50", [True, False, True]),  # fmax: a missing age gives 50
    ("min(age, 50) == 50", [False, True, True]),
    ('city == "杭州"', [True, False, False]),
    ('city != "杭州"', [False, True, False]),
    ('city < "杭"', [False, True, False]),
    ('city in ["杭州市", "北京"]', [True, False, False]),
    ('city not in ["杭州"]', [False, True, False]),
    ("age in [35, 40]", [True, False, False]),
    ("age not in [35]", [False, True, False]),
    ('notes contains "VIP"', [True, False, False]),
    ("notes is empty", [False, True, False]),
    ("age is not empty", [True, True, False]),
    ("age * 2 is empty", [False, False, True]),
    ("member", [True, False, False]),
    ("not member", [False, True, True]),
    ("member or age > 60", [True, True, False]),
    ("age > 30 and age < 40", [True, False, False]),
    ("true", [True, True, True]),
])
def test_every_operator(rule, expected):
    assert _mask(rule) == expected


def test_helpers_and_days_since():
    import numpy as np

    helpers = {"score": lambda: np.array([0.0, 2.0, np.nan]),
               "__days_since": lambda field: np.array([1.0, 100.0, np.nan]) if field == "last_purchase_at" else None}
    assert _mask("score()", helpers) == [False, True, False]  # a helper's missing value is false
    assert _mask("score() > 1", helpers) == [False, True, False]
    assert _mask('days_since("last_purchase_at") > 30', helpers) == [False, True, False]


def test_an_unknown_function_is_an_error():
    with pytest.raises(RuleError):
        _mask("nosuch(age) > 1")
