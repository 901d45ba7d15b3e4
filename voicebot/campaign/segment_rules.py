"""Segments defined by the user: a YAML rule file per campaign, checked with file:line errors.

::

    default: general                 # who matches no rule
    segments:
      - name: vip_churn              # first matching rule wins, in priority order (then file order)
        label: 高价值流失风险
        priority: 0
        when: monetary() >= 5000 and recency() >= max(45, 2 * interval_days())
        strategy: high_value_churn_risk   # which plan it gets (offer, follow-up); default: its name or general
      - name: young_shanghai
        when: 年龄 < 30 and 城市 in ["上海", "杭州"]

Helpers: ``recency()`` days since the last purchase (empty if never bought), ``frequency()``
orders in 12 months, ``monetary()`` spend in 12 months, ``interval_days()`` 365 / orders,
``price_sensitivity()`` 0-1 from discount share and coupon use, ``days_since(field)``,
``max(a, b)``, ``min(a, b)``. The rule language is in ``voicebot.campaign.rules``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from voicebot.campaign import rules
from voicebot.campaign.cli_messages import said
from voicebot.campaign.headers import field_for_name
from voicebot.campaign.mapping import DERIVED_FIELDS, FIELDS
from voicebot.campaign.rules import Node, RuleError

DEFAULT_RULES_PATH = Path(__file__).with_name("default_segments.yaml")
HELPERS = ("recency", "frequency", "monetary", "interval_days", "price_sensitivity", "days_since", "max", "min")


@dataclass(frozen=True)
class SegmentRule:
    name: str
    when: str
    node: Node
    priority: int
    line: int
    label: str = ""
    strategy: str = ""


@dataclass
class SegmentRuleSet:
    rules: list[SegmentRule]  # in evaluation order
    default: str
    default_label: str
    source: str
    text: str

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rules] + ([self.default] if self.default not in {r.name for r in self.rules} else [])

    def label(self, name: str) -> str:
        if name == self.default:
            return self.default_label or name
        return next((r.label for r in self.rules if r.name == name and r.label), name)

    def strategy(self, name: str) -> str:
        return next((r.strategy for r in self.rules if r.name == name and r.strategy), name)

    def check_fields(self, known: Iterable[str]) -> None:
        """Every field a rule names exists in the campaign's data (or is a known customer field)."""
        known_set = set(known)
        for r in self.rules:
            for name, col in rules.names_in(r.node):
                field = _resolve(name, known_set)
                sample = ", ".join(sorted(k[2:] if k.startswith("x_") else k for k in known_set)[:25])
                if field is None:
                    raise said(RuleError, "rules_in_segment", source=self.source, line=r.line, name=r.name,
                               detail=said(RuleError, "rules_unknown_field", name=name, col=col + 1, sample=sample))
                if field not in known_set:  # a field we know of, but no imported column holds it: no silent 0
                    raise said(RuleError, "rules_in_segment", source=self.source, line=r.line, name=r.name,
                               detail=said(RuleError, "rules_field_not_imported", name=name, field=field,
                                           col=col + 1, sample=sample))

    def assign(self, records: list[dict[str, Any]], today: date, known: Iterable[str] = ()) -> list[str]:
        """The segment name of every record."""
        known_set = set(known) | {k for r in records[:2000] for k in r}
        cols = rules.Columns(records, lambda n: _resolve(n, known_set), _helpers(records, today, known_set))
        out = np.full(len(records), self.default, dtype=object)
        done = np.zeros(len(records), dtype=bool)
        for r in self.rules:
            try:
                mask = rules.evaluate(r.node, cols, "bool")
            except RuleError as exc:
                raise said(RuleError, "rules_in_segment", source=self.source, line=r.line, name=r.name,
                           detail=exc) from None
            hit = mask & ~done
            out[hit] = r.name
            done |= hit
        return list(out)


def _resolve(name: str, known: set[str]) -> str | None:
    if name in FIELDS or name in DERIVED_FIELDS or name in known:
        return name
    canonical = field_for_name(name)
    if canonical:
        return canonical
    if f"x_{name}" in known:
        return f"x_{name}"
    return None


def _helpers(records: list[dict[str, Any]], today: date, known: set[str]) -> dict[str, Any]:
    from voicebot.campaign.profiles import columns_from_records, expected_interval_days, price_sensitivity

    cache: dict[str, Any] = {}

    def cols():
        if "cols" not in cache:
            cache["cols"] = columns_from_records(records, today)
        return cache["cols"]

    def days_since(name: str) -> np.ndarray:
        key = _resolve(name, known) or name
        out = np.full(len(records), np.nan)
        for i, r in enumerate(records):
            v = str(r.get(key) or "")[:10]
            try:
                out[i] = (today - date.fromisoformat(v)).days
            except ValueError:
                pass
        return out

    return {
        "recency": lambda: cols().days_since_purchase,
        "frequency": lambda: cols().orders_12m,
        "monetary": lambda: cols().spend_12m,
        "interval_days": lambda: expected_interval_days(cols()),
        "price_sensitivity": lambda: price_sensitivity(cols()),
        "__days_since": days_since,
    }


def load_rules(text: str, source: str = "<rules>") -> SegmentRuleSet:
    """Parses and checks a rule file; RuleError names file:line and what is wrong."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise said(RuleError, "rules_yaml", source=source, detail=exc) from None
    data = yaml.safe_load(text) if root is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise said(RuleError, "rules_shape", source=source)
    seg_nodes = next(v for k, v in root.value if k.value == "segments").value  # type: ignore[union-attr]
    default = data.get("default")
    if not isinstance(default, str) or not default.strip():
        raise said(RuleError, "rules_default", source=source)
    seen: set[str] = set()
    rules_in_order = [_segment_rule(item, node, source, seen) for item, node in zip(data["segments"], seg_nodes)]
    ordered = sorted(rules_in_order, key=lambda r: r.priority)  # stable: equal priorities keep the file's order
    return SegmentRuleSet(ordered, default.strip(), str(data.get("default_label", "")), source, text)


_RULE_KEYS = {"name", "when", "label", "priority", "strategy"}


def _segment_rule(item: Any, node: yaml.Node, source: str, seen: set[str]) -> SegmentRule:
    """One entry of ``segments:`` checked (``seen``: the names before it); errors name its line."""
    line = node.start_mark.line + 1
    if not isinstance(item, dict) or "name" not in item or "when" not in item:
        raise said(RuleError, "rules_item", source=source, line=line)
    name = str(item["name"]).strip()
    if name in seen:
        raise said(RuleError, "rules_twice", source=source, line=line, name=name)
    seen.add(name)
    when_line = next((v.start_mark.line + 1 for k, v in node.value if k.value == "when"), line)

    def error(at: int, detail: Any) -> Exception:
        return said(RuleError, "rules_in_segment", source=source, line=at, name=name, detail=detail)

    try:
        parsed = rules.parse(str(item["when"]))
    except RuleError as exc:
        raise error(when_line, exc) from None
    for fn, col in rules.calls_in(parsed):
        if fn not in HELPERS:
            raise error(when_line, said(RuleError, "rules_unknown_function", fn=fn, col=col + 1, known=", ".join(HELPERS)))
    unknown = set(item) - _RULE_KEYS
    if unknown:
        raise error(line, said(RuleError, "rules_unknown_keys", keys=sorted(unknown)))
    try:
        priority = int(item.get("priority", 100))
    except (TypeError, ValueError):
        raise error(line, said(RuleError, "rules_priority")) from None
    return SegmentRule(name, str(item["when"]), parsed, priority, when_line,
                       str(item.get("label", "")), str(item.get("strategy", "")))


def load_rules_file(path: str | Path) -> SegmentRuleSet:
    path = Path(path)
    if not path.exists():
        raise said(RuleError, "rules_missing", path=path)
    return load_rules(path.read_text(encoding="utf-8"), str(path))


def default_rules() -> SegmentRuleSet:
    return load_rules_file(DEFAULT_RULES_PATH)
