"""Inheritance of the everyday-intent library (voicebot/dialogue/everyday/) by a dialplan.

Rules (documented in dialplans/README.md and docs/plan-authoring.zh.md):
- every library intent is inherited unless the plan lists it under ``everyday.exclude`` or sets
  ``everyday.enabled: false``;
- a plan intent with a library intent's name **extends** it (the plan's examples, then the
  library's), or **overrides** it with ``override: true`` (the plan's examples only);
- a library intent the plan neither defines nor handles (no transition, not an escalation intent)
  joins its ``fallback`` intent when the plan has that one (ask_robot -> ask_who_is_calling),
  otherwise it stays an intent of its own (turns of it get the plan's no-match handling);
- a text the plan itself labels (an example of any intent, or out of scope) is never taken from
  the library: the plan's label wins;
- the library's out-of-scope chatter is added to the plan's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from voicebot.dialogue.nlu.normalize import normalize
from voicebot.dialogue.plan.schema import DialplanSpec, IntentSpec

if TYPE_CHECKING:
    from voicebot.dialogue.everyday import Example


@dataclass(frozen=True)
class InheritedIntent:
    name: str  # the plan intent the examples went to
    mode: str  # "inherited" | "extended" | "overridden" | "merged"
    taken: int  # examples taken from the library
    sources: tuple[str, ...] = ()  # library intents whose examples went here
    handled: bool = True


@dataclass
class Inheritance:
    """What the plan took from the library, and where each example came from (for file:line)."""

    source: str = ""  # the library file; "" = nothing inherited
    intents: dict[str, InheritedIntent] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    # intent -> one entry per example of the merged plan: None = the plan's own (its line map), else the library's
    origins: dict[str, list[Example | None]] = field(default_factory=dict)
    oos_origins: list[Example | None] = field(default_factory=list)
    dropped: int = 0  # library examples left out because the plan labels the same text

    def summary(self) -> list[str]:
        out = []
        for it in sorted(self.intents.values(), key=lambda i: i.name):
            via = f" (from {', '.join(it.sources)})" if it.sources and it.sources != (it.name,) else ""
            note = "" if it.handled else "; no transition handles it: such turns get the no-match reply"
            out.append(f"{it.name}: {it.mode}, {it.taken} library examples{via}{note}")
        return out


def handled_intents(spec: DialplanSpec) -> set[str]:
    handled = set(spec.global_) | {i for st in spec.states.values() for i in st.on}
    if spec.escalation.request_human:
        handled.add("request_human")
    if spec.confirm is not None:
        handled |= set(spec.confirm.intents)
    return handled


@dataclass
class _Taken:
    """Where one plan intent's examples stand while the library is merged in."""
    texts: list[str]
    origins: list[Example | None]
    keys: set[str]  # normalised texts already there
    sources: list[str] = field(default_factory=list)  # library intents that went here
    n: int = 0  # library examples taken


@dataclass
class _Merge:
    spec: DialplanSpec
    handled: set[str]
    exclude: set[str]
    owned: set[str]  # texts the plan labels itself: the library never relabels them
    intents: dict[str, _Taken]
    info: dict[str, _Taken] = field(default_factory=dict)  # plan intents the library touched, in order
    dropped: int = 0

    def taken(self, dest: str) -> _Taken:
        return self.intents.setdefault(dest, _Taken([], [], set()))


def inherit(spec: DialplanSpec) -> tuple[DialplanSpec, Inheritance]:
    from voicebot.dialogue.everyday import load_library  # the library module reads YAML with the plan loader

    if not spec.everyday.enabled:
        return spec, Inheritance()
    lib = load_library(spec.locale)
    if not lib.intents:
        return spec, Inheritance()
    locale = spec.locale
    owned = {normalize(x, locale) for i in spec.intents.values() for x in i.examples}
    owned |= {normalize(x, locale) for x in spec.out_of_scope_examples}
    merge = _Merge(spec, handled_intents(spec), set(spec.everyday.exclude), owned,
                   {n: _Taken(list(i.examples), [None] * len(i.examples), {normalize(x, locale) for x in i.examples})
                    for n, i in spec.intents.items()})
    for name, lint in lib.intents.items():
        if name not in merge.exclude:
            _take_intent(merge, name, lint.examples, _target(name, spec, lib, merge))
    intents, inherited = _merged_intents(merge)
    oos, oos_origins = _merged_out_of_scope(spec, lib.out_of_scope, owned)
    merged = spec.model_copy(update={"intents": intents, "out_of_scope_examples": oos})
    origins = {k: t.origins for k, t in merge.intents.items() if any(o is not None for o in t.origins)}
    return merged, Inheritance(lib.path, inherited, tuple(sorted(merge.exclude)), origins, oos_origins, merge.dropped)


def _target(name: str, spec: DialplanSpec, lib, merge: _Merge) -> str:
    """The plan intent a library intent's examples go to: itself, or the first fallback the plan knows."""
    seen = set()
    cur = name
    while cur not in spec.intents and cur not in merge.handled:
        fb = lib.intents[cur].fallback if cur in lib.intents else None
        if fb is None or fb in seen or fb in merge.exclude:
            return name  # no fallback the plan knows: an intent of its own
        seen.add(cur)
        cur = fb
    return cur


def _take_intent(merge: _Merge, name: str, examples: Iterable[Example], dest: str) -> None:
    """A library intent's examples added to ``dest``, but none the plan labels or ``dest`` already has."""
    own = merge.spec.intents.get(dest)
    if own is not None and own.override and dest == name:
        merge.info.setdefault(dest, merge.taken(dest)).sources.append(name)
        return  # overridden: the plan's examples only
    taken = merge.info.setdefault(dest, merge.taken(dest))
    taken.sources.append(name)
    for ex in examples:
        key = normalize(ex.text, merge.spec.locale)
        if key in merge.owned or key in taken.keys:
            merge.dropped += key in merge.owned
            continue
        taken.keys.add(key)
        taken.texts.append(ex.text)
        taken.origins.append(ex)
        taken.n += 1


def _merged_intents(merge: _Merge) -> tuple[dict[str, IntentSpec], dict[str, InheritedIntent]]:
    """The plan's intents with the library's examples, and how each took them."""
    spec = merge.spec
    intents = dict(spec.intents)
    inherited: dict[str, InheritedIntent] = {}
    for dest, d in merge.info.items():
        if dest in spec.intents:
            own = spec.intents[dest]
            mode = "overridden" if own.override else ("extended" if dest in d.sources else "merged")
            intents[dest] = own.model_copy(update={"examples": d.texts})
        else:
            mode = "inherited" if d.sources == [dest] else "merged"
            intents[dest] = IntentSpec(examples=d.texts)
        inherited[dest] = InheritedIntent(dest, mode, d.n, tuple(d.sources), dest in merge.handled)
    return intents, inherited


def _merged_out_of_scope(spec: DialplanSpec, library: Iterable[Example],
                         owned: set[str]) -> tuple[list[str], list[Example | None]]:
    """The plan's out-of-scope examples, then the library's chatter the plan does not label itself."""
    oos = list(spec.out_of_scope_examples)
    oos_origins: list[Example | None] = [None] * len(oos)
    oos_keys = {normalize(x, spec.locale) for x in oos}
    for ex in library:
        key = normalize(ex.text, spec.locale)
        if key in owned or key in oos_keys:
            continue
        oos_keys.add(key)
        oos.append(ex.text)
        oos_origins.append(ex)
    return oos, oos_origins
