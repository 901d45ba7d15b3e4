"""Reads a dialplan YAML file, keeping each value's line so every error can say file:line: reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from voicebot.dialogue.plan.schema import DialplanSpec
from voicebot.errors import VoicebotError

PathKey = tuple[Any, ...]


class DialplanError(VoicebotError):
    """One or more problems in a dialplan file; ``problems`` = [(line, reason)]."""

    def __init__(self, file: str, problems: list[tuple[int, str]]) -> None:
        self.file = file
        self.problems = sorted(problems)
        super().__init__("\n".join(f"{file}:{line}: {reason}" for line, reason in self.problems))


class LineMap:
    """Path inside the document (keys and list indices) -> 1-based line of that value."""

    def __init__(self) -> None:
        self.lines: dict[PathKey, int] = {}

    def line(self, path: PathKey) -> int:
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]  # the nearest enclosing value that has a mark
        return self.lines.get(path, 1)


def _build(node: yaml.Node, path: PathKey, lines: LineMap, file: str) -> Any:
    lines.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader.construct_scalar(yaml.SafeLoader(""), key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key_node, (yaml.MappingNode, yaml.SequenceNode)):
                raise DialplanError(file, [(key_node.start_mark.line + 1, "mapping keys must be plain strings")])
            if key in out:
                raise DialplanError(file, [(key_node.start_mark.line + 1, f"duplicate key {key!r}")])
            out[key] = _build(value_node, (*path, key), lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, (*path, i), lines, file) for i, v in enumerate(node.value)]
    # Scalars: let the safe constructor type them (int, float, bool, null, str).
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def read_yaml(path: str | Path) -> tuple[Any, LineMap]:
    file = str(path)
    p = Path(path)
    if not p.is_file():
        raise DialplanError(file, [(0, "no such file")])
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DialplanError(file, [(0, f"cannot read: {exc}")]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise DialplanError(file, [(line, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]) from exc
    if node is None:
        raise DialplanError(file, [(1, "the file is empty")])
    lines = LineMap()
    return _build(node, (), lines, file), lines


def _loc_to_path(loc: tuple[Any, ...]) -> PathKey:
    # pydantic adds union-member / tag names (e.g. "str", "dict[str,str]", "function-after[...]") to loc;
    # keep only the parts that exist in the document.
    return tuple(p for p in loc if isinstance(p, int) or not any(c in str(p) for c in "[]()") and p not in ("str",))


def parse_spec(data: Any, lines: LineMap, file: str) -> DialplanSpec:
    if not isinstance(data, dict):
        raise DialplanError(file, [(1, "a dialplan is a mapping (name, locale, states, ...)")])
    try:
        return DialplanSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        seen = set()
        for err in exc.errors():
            path = _loc_to_path(tuple(err["loc"]))
            where = ".".join(str(p) for p in path) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required field is missing"
            elif err["type"] == "extra_forbidden":
                msg = "unknown field"
            elif isinstance(err.get("input"), bool):
                msg += " (YAML reads unquoted yes/no/on/off as true/false: quote it)"
            key = (where, msg)
            if key in seen:
                continue
            seen.add(key)
            problems.append((lines.line(path), f"{where}: {msg}"))
        raise DialplanError(file, problems) from None
