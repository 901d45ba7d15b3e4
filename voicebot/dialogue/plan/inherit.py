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


def inherit(spec: DialplanSpec) -> tuple[DialplanSpec, Inheritance]:
    from voicebot.dialogue.everyday import load_library  # the library module reads YAML with the plan loader

    if not spec.everyday.enabled:
        return spec, Inheritance()
    lib = load_library(spec.locale)
    if not lib.intents:
        return spec, Inheritance()
    locale = spec.locale
    handled = handled_intents(spec)
    exclude = set(spec.everyday.exclude)
    # Texts the plan labels itself: the library never relabels them.
    owned = {normalize(x, locale) for i in spec.intents.values() for x in i.examples}
    owned |= {normalize(x, locale) for x in spec.out_of_scope_examples}

    def target(name: str) -> str:
        seen = set()
        cur = name
        while cur not in spec.intents and cur not in handled:
            fb = lib.intents[cur].fallback if cur in lib.intents else None
            if fb is None or fb in seen or fb in exclude:
                return name  # no fallback the plan knows: an intent of its own
            seen.add(cur)
            cur = fb
        return cur

    texts: dict[str, list[str]] = {n: list(i.examples) for n, i in spec.intents.items()}
    origins: dict[str, list[Example | None]] = {n: [None] * len(i.examples) for n, i in spec.intents.items()}
    seen_keys: dict[str, set[str]] = {n: {normalize(x, locale) for x in exs} for n, exs in texts.items()}
    info: dict[str, dict] = {}
    dropped = 0
    for name, lint in lib.intents.items():
        if name in exclude:
            continue
        dest = target(name)
        own = spec.intents.get(dest)
        if own is not None and own.override and dest == name:
            info.setdefault(dest, {"sources": [], "n": 0})["sources"].append(name)
            continue  # overridden: the plan's examples only
        texts.setdefault(dest, [])
        origins.setdefault(dest, [])
        keys = seen_keys.setdefault(dest, set())
        d = info.setdefault(dest, {"sources": [], "n": 0})
        d["sources"].append(name)
        for ex in lint.examples:
            key = normalize(ex.text, locale)
            if key in owned or key in keys:
                dropped += key in owned
                continue
            keys.add(key)
            texts[dest].append(ex.text)
            origins[dest].append(ex)
            d["n"] += 1
    intents = dict(spec.intents)
    inherited: dict[str, InheritedIntent] = {}
    for dest, d in info.items():
        if dest in spec.intents:
            own = spec.intents[dest]
            mode = "overridden" if own.override else ("extended" if dest in d["sources"] else "merged")
            intents[dest] = own.model_copy(update={"examples": texts[dest]})
        else:
            mode = "inherited" if d["sources"] == [dest] else "merged"
            intents[dest] = IntentSpec(examples=texts[dest])
        inherited[dest] = InheritedIntent(dest, mode, d["n"], tuple(d["sources"]), dest in handled)
    oos = list(spec.out_of_scope_examples)
    oos_origins: list[Example | None] = [None] * len(oos)
    oos_keys = {normalize(x, locale) for x in oos}
    for ex in lib.out_of_scope:
        key = normalize(ex.text, locale)
        if key in owned or key in oos_keys:
            continue
        oos_keys.add(key)
        oos.append(ex.text)
        oos_origins.append(ex)
    merged = spec.model_copy(update={"intents": intents, "out_of_scope_examples": oos})
    return merged, Inheritance(lib.path, inherited, tuple(sorted(exclude)),
                               {k: v for k, v in origins.items() if any(o is not None for o in v)}, oos_origins, dropped)
