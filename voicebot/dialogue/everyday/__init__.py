"""The everyday-intent library: what callees say on any outbound call (yes / it's me, wrong person,
who is calling, stop calling ...), in zh and en, shipped with the package and inherited by every
dialplan (voicebot/dialogue/plan/inherit.py; docs/plan-authoring.zh.md).

File format (``<locale-language>.yaml`` next to this module)::

    locale: zh-CN
    intents:
      ask_robot:
        fallback: ask_who_is_calling   # a plan that does not handle ask_robot gets these examples there
        description: 你是机器人吗
        examples: [你是机器人吗, ...]
    out_of_scope_examples: [...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from voicebot.dialogue.plan.loader import DialplanError, read_yaml

LIBRARY_DIR = Path(__file__).parent
# Irreversible intents (the call ends, the number is tagged): they need many examples (lint checks it).
IRREVERSIBLE = ("wrong_number", "stop_calling", "not_interested")


@dataclass(frozen=True)
class Example:
    text: str
    file: str
    line: int


@dataclass(frozen=True)
class EverydayIntent:
    name: str
    examples: tuple[Example, ...]
    fallback: str | None = None
    description: str = ""


@dataclass(frozen=True)
class EverydayLibrary:
    locale: str
    path: str
    intents: dict[str, EverydayIntent] = field(default_factory=dict)
    out_of_scope: tuple[Example, ...] = ()


def library_path(locale: str) -> Path:
    return LIBRARY_DIR / f"{locale.split('-')[0].lower()}.yaml"


def _examples(raw: object, path: tuple, lines, file: str, problems: list) -> tuple[Example, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        problems.append((lines.line(path), f"{'.'.join(map(str, path))}: a list of non-empty strings is expected"))
        return ()
    return tuple(Example(x, file, lines.line((*path, i))) for i, x in enumerate(raw))


def parse_library(path: str | Path) -> EverydayLibrary:
    file = str(path)
    data, lines = read_yaml(path)
    problems: list[tuple[int, str]] = []
    if not isinstance(data, dict) or not isinstance(data.get("intents"), dict) or "locale" not in data:
        raise DialplanError(file, [(1, "an everyday library has 'locale' and an 'intents' mapping")])
    intents: dict[str, EverydayIntent] = {}
    for name, spec in data["intents"].items():
        if not isinstance(spec, dict) or set(spec) - {"examples", "fallback", "description"}:
            problems.append((lines.line(("intents", name)), f"intents.{name}: expected examples, fallback, description"))
            continue
        exs = _examples(spec.get("examples"), ("intents", name, "examples"), lines, file, problems)
        intents[name] = EverydayIntent(name, exs, spec.get("fallback"), str(spec.get("description", "")))
    oos = _examples(data.get("out_of_scope_examples", []), ("out_of_scope_examples",), lines, file, problems)
    if problems:
        raise DialplanError(file, problems)
    return EverydayLibrary(str(data["locale"]), file, intents, oos)


@lru_cache(maxsize=4)
def load_library(locale: str) -> EverydayLibrary:
    """The shipped library for a locale (an empty one when there is none for it)."""
    p = library_path(locale)
    if not p.is_file():
        return EverydayLibrary(locale, str(p))
    return parse_library(p)


@dataclass
class LibraryPlan:
    """The library alone as a plan-like object (every intent its own class, no fallbacks): what
    ``benchmarks/nlu.py`` measures the library's held-out set on."""

    locale: str
    examples: dict[str, list[str]]
    out_of_scope_examples: list[str]
    faq: None = None


def library_plan(locale: str) -> LibraryPlan:
    lib = load_library(locale)
    return LibraryPlan(locale, {n: [e.text for e in i.examples] for n, i in lib.intents.items()},
                       [e.text for e in lib.out_of_scope])
