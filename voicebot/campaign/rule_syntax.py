"""The segment rules' expression language: tokens, grammar and the parse tree (``Node``).

Evaluated column-wise by ``voicebot.campaign.rules`` (no eval).

Grammar (precedence low to high)::

    expr    := or
    or      := and ("or" and)*                    also: 或
    and     := not ("and" not)*                   also: 且 / 并且
    not     := "not" not | test                   also: 非
    test    := sum (CMP sum | ["not"] "in" list | "contains" sum | "is" ["not"] "empty")?
    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | NAME | NAME "(" args ")" | "(" expr ")" | list | `any header`
    CMP     := == != < <= > >= (= is ==, also ≥ ≤ ≠)

Names are customer fields: a canonical one (spend_12m), any alias of it (累计消费, 年龄) or any
imported column by its header (客户来源, stored as x_客户来源); a header with spaces or
brackets goes in backquotes. Numbers may carry 万/千 (1.2万). Missing values never match a
comparison (like SQL NULL); ``is empty`` tests for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from voicebot.campaign.cli_messages import said
from voicebot.errors import VoicebotError


class RuleError(VoicebotError):
    """A rule that cannot be parsed or names an unknown field / function."""


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, name, op, end
    text: str
    pos: int


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?(?:万|千|w|k)?(?![\w]))
  | (?P<str>"[^"]*"|'[^']*'|“[^”]*”|‘[^’]*’)
  | (?P<quoted>`[^`]+`)
  | (?P<op>==|!=|<=|>=|≥|≤|≠|<|>|=|\(|\)|\[|\]|,|，|\+|-|\*|/|（|）)
  | (?P<name>[^\W\d][\w.]*|[\u4e00-\u9fff][\w\u4e00-\u9fff]*)
""", re.VERBOSE | re.UNICODE)
_WORDS = {"and": "and", "且": "and", "并且": "and", "or": "or", "或": "or", "或者": "or", "not": "not", "非": "not",
          "in": "in", "属于": "in", "contains": "contains", "包含": "contains", "is": "is", "empty": "empty",
          "为空": "empty", "true": "true", "false": "false", "是": "true", "否": "false"}
_OP_ALIASES = {"=": "==", "≥": ">=", "≤": "<=", "≠": "!=", "，": ",", "（": "(", "）": ")"}
_MAGNITUDE = {"万": 1e4, "w": 1e4, "千": 1e3, "k": 1e3}


def tokenize(text: str) -> list[Token]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise said(RuleError, "rule_char", char=text[pos], col=pos + 1)
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "num":
            out.append(Token("num", value, pos))
        elif kind == "str":
            out.append(Token("str", value[1:-1], pos))
        elif kind == "quoted":
            out.append(Token("name", value[1:-1], pos))
        elif kind == "op":
            out.append(Token("op", _OP_ALIASES.get(value, value), pos))
        elif kind == "name":
            word = _WORDS.get(value.lower())
            out.append(Token("kw", word, pos) if word else Token("name", value, pos))
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


# --- AST ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    op: str  # num, str, list, field, call, neg, bin, cmp, in, notin, contains, empty, notempty, and, or, not, bool
    args: tuple[Any, ...]
    pos: int = 0


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.i = text, tokenize(text), 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, text: str | None = None) -> Token:
        tok = self.take()
        if tok.kind != kind or (text is not None and tok.text != text):
            want = text or kind
            got = tok.text or "end of rule"
            raise said(RuleError, "rule_expected", want=want, col=tok.pos + 1, got=got)
        return tok

    def is_(self, kind: str, *texts: str) -> bool:
        tok = self.peek()
        return tok.kind == kind and (not texts or tok.text in texts)

    def parse(self) -> Node:
        node = self.or_()
        if not self.is_("end"):
            tok = self.peek()
            raise said(RuleError, "rule_unexpected", text=tok.text, col=tok.pos + 1)
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.is_("kw", "or"):
            pos = self.take().pos
            node = Node("or", (node, self.and_()), pos)
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.is_("kw", "and"):
            pos = self.take().pos
            node = Node("and", (node, self.not_()), pos)
        return node

    def not_(self) -> Node:
        if self.is_("kw", "not"):
            pos = self.take().pos
            return Node("not", (self.not_(),), pos)
        return self.test()

    def test(self) -> Node:
        left = self.sum_()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return Node("cmp", (tok.text, left, self.sum_()), tok.pos)
        if self.is_("kw", "not") and self.tokens[self.i + 1].kind == "kw" and self.tokens[self.i + 1].text == "in":
            self.take(), self.take()
            return Node("notin", (left, self.list_()), tok.pos)
        if self.is_("kw", "in"):
            self.take()
            return Node("in", (left, self.list_()), tok.pos)
        if self.is_("kw", "contains"):
            self.take()
            return Node("contains", (left, self.sum_()), tok.pos)
        if self.is_("kw", "empty"):  # 为空
            self.take()
            return Node("empty", (left,), tok.pos)
        if self.is_("kw", "is"):
            self.take()
            negate = self.is_("kw", "not")
            if negate:
                self.take()
            self.expect("kw", "empty")
            return Node("notempty" if negate else "empty", (left,), tok.pos)
        return left

    def list_(self) -> Node:
        if not self.is_("op", "[", "("):
            tok = self.peek()
            raise said(RuleError, "rule_list", col=tok.pos + 1, got=tok.text or "end of rule")
        start = self.take().pos
        close = "]" if self.tokens[self.i - 1].text == "[" else ")"
        items = []
        while not self.is_("op", close):
            items.append(self.sum_())
            if not self.is_("op", close):
                self.expect("op", ",")
        self.take()
        if not all(i.op in ("num", "str") for i in items):
            raise said(RuleError, "rule_list_items", col=start + 1)
        return Node("list", tuple(i.args[0] for i in items), start)

    def sum_(self) -> Node:
        node = self.term()
        while self.is_("op", "+", "-"):
            tok = self.take()
            node = Node("bin", (tok.text, node, self.term()), tok.pos)
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.is_("op", "*", "/"):
            tok = self.take()
            node = Node("bin", (tok.text, node, self.unary()), tok.pos)
        return node

    def unary(self) -> Node:
        if self.is_("op", "-"):
            pos = self.take().pos
            return Node("neg", (self.unary(),), pos)
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            unit = tok.text[-1] if tok.text[-1] in _MAGNITUDE else ""
            return Node("num", (float(tok.text.rstrip("万千wk")) * _MAGNITUDE.get(unit, 1.0),), tok.pos)
        if tok.kind == "str":
            return Node("str", (tok.text,), tok.pos)
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return Node("bool", (tok.text == "true",), tok.pos)
        if tok.kind == "op" and tok.text == "(":
            node = self.or_()
            self.expect("op", ")")
            return node
        if tok.kind == "op" and tok.text == "[":
            self.i -= 1
            return self.list_()
        if tok.kind == "name":
            if self.is_("op", "("):
                self.take()
                args = []
                while not self.is_("op", ")"):
                    args.append(self.or_())
                    if not self.is_("op", ")"):
                        self.expect("op", ",")
                self.take()
                return Node("call", (tok.text, tuple(args)), tok.pos)
            return Node("field", (tok.text,), tok.pos)
        raise said(RuleError, "rule_value", col=tok.pos + 1, got=tok.text or "end of rule")


def parse(text: str) -> Node:
    if not str(text).strip():
        raise said(RuleError, "rule_empty")
    return _Parser(str(text)).parse()


def names_in(node: Node) -> list[tuple[str, int]]:
    """(field name, column) of every field the rule reads."""
    if node.op == "field":
        return [(node.args[0], node.pos)]
    out = []
    for a in node.args:
        if isinstance(a, Node):
            out += names_in(a)
        elif isinstance(a, tuple):
            out += [x for sub in a if isinstance(sub, Node) for x in names_in(sub)]
    return out


def calls_in(node: Node) -> list[tuple[str, int]]:
    out = [(node.args[0], node.pos)] if node.op == "call" else []
    for a in node.args:
        if isinstance(a, Node):
            out += calls_in(a)
        elif isinstance(a, tuple):
            out += [x for sub in a if isinstance(sub, Node) for x in calls_in(sub)]
    return out
