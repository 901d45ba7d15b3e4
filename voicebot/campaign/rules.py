"""A small expression language for segment rules: parsed by ``voicebot.campaign.rule_syntax`` (the
grammar is there), evaluated here column-wise (no eval).

Every rule is evaluated over all customers at once with numpy, so a million customers segment
in about a second.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from voicebot.campaign.cli_messages import said

# The parser's names stay importable from here: segment rules and tests use them as rules.parse etc.
from voicebot.campaign.rule_syntax import Node, RuleError, Token, calls_in, names_in, parse, tokenize

__all__ = ["Columns", "Node", "RuleError", "Token", "calls_in", "evaluate", "names_in", "parse", "tokenize"]


# --- evaluation over columns --------------------------------------------------------------
class Columns:
    """Customer fields as columns, built lazily: numbers (NaN = missing) or text ("" = missing)."""

    def __init__(self, records: list[dict[str, Any]], resolve: Callable[[str], str | None],
                 helpers: dict[str, Callable[[], np.ndarray]]) -> None:
        self.records, self.resolve, self.helpers = records, resolve, helpers
        self.n = len(records)
        self._num: dict[str, np.ndarray] = {}
        self._text: dict[str, np.ndarray] = {}

    def text(self, name: str) -> np.ndarray:
        key = self.resolve(name) or name
        if key not in self._text:
            vals = []
            for r in self.records:
                v = r.get(key)
                vals.append(";".join(v) if isinstance(v, list) else "" if v is None else str(v).strip())
            self._text[key] = np.array(vals, dtype=object)
        return self._text[key]

    def number(self, name: str) -> np.ndarray:
        from voicebot.campaign.freeform import amount

        key = self.resolve(name) or name
        if key not in self._num:
            out = np.full(self.n, np.nan)
            for i, v in enumerate(self.text(name)):
                if v:
                    try:
                        out[i] = float(v) if v not in ("True", "False") else float(v == "True")
                    except ValueError:
                        try:
                            out[i] = amount(v)
                        except ValueError:
                            pass
            self._num[key] = out
        return self._num[key]


_FUNCS_NUM = {"max": np.fmax, "min": np.fmin}
_ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
_NUM_COMPARE = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
                ">=": np.greater_equal}
_TEXT_ORDER = {"<": lambda p, q: p < q, "<=": lambda p, q: p <= q, ">": lambda p, q: p > q,
               ">=": lambda p, q: p >= q}

_Eval = Callable[[tuple, Columns, str], np.ndarray]  # (node args, columns, want) -> values


def evaluate(node: Node, cols: Columns, want: str = "bool") -> np.ndarray:
    """The rule's value for every customer: bool mask, numbers or text, as ``want`` asks."""
    handler = _EVALUATORS.get(node.op)
    if handler is None:
        raise said(RuleError, "rule_cannot", op=node.op)
    return handler(node.args, cols, want)


def _num(a: tuple, cols: Columns, want: str) -> np.ndarray:
    return np.full(cols.n, a[0]) if want != "text" else np.full(cols.n, f"{a[0]:g}", dtype=object)


def _str(a: tuple, cols: Columns, want: str) -> np.ndarray:
    return np.full(cols.n, a[0], dtype=object)


def _bool(a: tuple, cols: Columns, want: str) -> np.ndarray:
    return np.full(cols.n, a[0])


def _field(a: tuple, cols: Columns, want: str) -> np.ndarray:
    if want == "text":
        return cols.text(a[0])
    if want == "bool":
        values = cols.number(a[0])  # a yes/no field: 1 true, 0/missing false
        return np.nan_to_num(values, nan=0.0) != 0
    return cols.number(a[0])


def _call(a: tuple, cols: Columns, want: str) -> np.ndarray:
    name, args = a
    if name in cols.helpers:
        values = cols.helpers[name]()
        return values if want != "bool" else np.nan_to_num(values) != 0
    if name in _FUNCS_NUM:
        vals = [evaluate(x, cols, "num") for x in args]
        out = vals[0]
        for v in vals[1:]:
            out = _FUNCS_NUM[name](out, v)
        return out
    if name == "days_since":
        return cols.helpers["__days_since"](args[0].args[0])  # type: ignore[operator]
    raise said(RuleError, "rule_function", name=name)


def _neg(a: tuple, cols: Columns, want: str) -> np.ndarray:
    return -evaluate(a[0], cols, "num")


def _arithmetic(a: tuple, cols: Columns, want: str) -> np.ndarray:
    sym, left, right = a
    x, y = evaluate(left, cols, "num"), evaluate(right, cols, "num")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _ARITHMETIC[sym](x, y)


def _compare(a: tuple, cols: Columns, want: str) -> np.ndarray:
    """A comparison with a quoted text on either side compares text; otherwise numbers. Missing is never true."""
    sym, left, right = a
    if _is_text(left) or _is_text(right):
        return _compare_text(sym, evaluate(left, cols, "text"), evaluate(right, cols, "text"))
    x, y = evaluate(left, cols, "num"), evaluate(right, cols, "num")
    with np.errstate(invalid="ignore"):
        res = _NUM_COMPARE[sym](x, y)
    return res & ~np.isnan(x) & ~np.isnan(y)


def _compare_text(sym: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    present = (x != "") & (y != "")
    if sym in ("==", "!="):
        eq = np.array([p == q for p, q in zip(x, y)], dtype=bool)
        return present & (eq if sym == "==" else ~eq)
    cmp = _TEXT_ORDER[sym]
    return present & np.array([cmp(p, q) for p, q in zip(x, y)], dtype=bool)


def _membership(a: tuple, cols: Columns, want: str, negated: bool = False) -> np.ndarray:
    """``in`` / ``notin`` (``negated``) a list: numbers when every item is a number, else text.
    Missing is in no list, and not in one is not true of it either."""
    left, lst = a
    items = lst.args
    if all(isinstance(i, float) for i in items):
        x = evaluate(left, cols, "num")
        res = np.isin(x, np.array(items)) & ~np.isnan(x)
        present = ~np.isnan(x)
    else:
        x = evaluate(left, cols, "text")
        wanted = {str(i) if not isinstance(i, float) else f"{i:g}" for i in items}
        if left.op == "field" and cols.resolve(left.args[0]) == "city":
            from voicebot.places import city_literal  # 杭州市 in a rule = 杭州 as imported

            wanted = {city_literal(w) for w in wanted}
        res = np.array([v in wanted for v in x], dtype=bool)
        present = x != ""
    return present & ~res if negated else res


def _contains(a: tuple, cols: Columns, want: str) -> np.ndarray:
    x, y = evaluate(a[0], cols, "text"), evaluate(a[1], cols, "text")
    return np.array([bool(q) and q in p for p, q in zip(x, y)], dtype=bool)


def _emptiness(a: tuple, cols: Columns, want: str, negated: bool = False) -> np.ndarray:
    """``is empty`` / ``is not empty`` (``negated``): a field's text is "", an expression's number NaN."""
    target = a[0]
    if target.op == "field":
        empty = cols.text(target.args[0]) == ""
    else:
        empty = np.isnan(evaluate(target, cols, "num"))
    return ~empty if negated else empty


def _and(a: tuple, cols: Columns, want: str) -> np.ndarray:
    return evaluate(a[0], cols, "bool") & evaluate(a[1], cols, "bool")


def _or(a: tuple, cols: Columns, want: str) -> np.ndarray:
    return evaluate(a[0], cols, "bool") | evaluate(a[1], cols, "bool")


def _not(a: tuple, cols: Columns, want: str) -> np.ndarray:
    return ~evaluate(a[0], cols, "bool")


_EVALUATORS: dict[str, _Eval] = {
    "num": _num, "str": _str, "bool": _bool, "field": _field, "call": _call, "neg": _neg, "bin": _arithmetic,
    "cmp": _compare, "in": _membership, "notin": partial(_membership, negated=True), "contains": _contains,
    "empty": _emptiness, "notempty": partial(_emptiness, negated=True), "and": _and, "or": _or, "not": _not,
}


def _is_text(node: Node) -> bool:
    return node.op == "str"
