"""Script variants per segment: which arms the A/B test has, and the checks that make it honest.

A segment's ``variants`` are the campaign bandit's arms for that segment (a segment without any
uses the ``default`` segment's). Prompts use the chosen variant's lines as ``{script_opening}``,
``{script_pitch}``, ``{script_offer}`` and ``{script_closing}``. Two arms that speak the same pitch
(or the same lines throughout) would make the A/B test compare a script with itself: an error.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from voicebot.dialogue.personalize import CUSTOMER_VARIABLES, SCRIPT_VARIABLES, customer_fields_used, wordings
from voicebot.dialogue.plan.schema import SCRIPT_PARTS, DialplanSpec, Prompt, ScriptVariant
from voicebot.dialogue.plan.templates import BUILTIN_VARIABLES, prompt_texts, template_fields

_BAD_NAME = re.compile(r"[\s,:]")


def plan_segment(spec: DialplanSpec, segment: str, strategy: str = "") -> str:
    """The plan's segment for a customer: theirs, else their strategy's (a user-defined segment
    planned like high_value_churn_risk), else default."""
    for name in (segment, strategy):
        if name and name in spec.segments:
            return name
    return "default"


def segment_variants(spec: DialplanSpec, segment: str) -> dict[str, ScriptVariant]:
    strategy = spec.segments.get(segment) or spec.segments.get("default")
    if strategy is not None and strategy.variants:
        return dict(strategy.variants)
    default = spec.segments.get("default")
    return dict(default.variants) if default is not None else {}


def ab_arms(spec: DialplanSpec, segment: str) -> list[str]:
    """The bandit's arms for customers of ``segment``: exactly the declared variants."""
    return list(segment_variants(spec, segment))


def _normal(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower()
                   if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


def _prompts(spec: DialplanSpec) -> list[Prompt | None]:
    out: list[Prompt | None] = [spec.no_match, spec.no_input, spec.escalation.say, spec.escalation.no_agent,
                                spec.voicemail.message]
    for st in spec.states.values():
        out += [st.say, st.no_match, st.no_input, *(getattr(a, "text", None) for a in st.actions)]
        for t in st.on.values():
            out += [t.say, *(getattr(a, "text", None) for a in t.actions)]
    for t in spec.global_.values():
        out += [t.say, *(getattr(a, "text", None) for a in t.actions)]
    return out


def uses_script(spec: DialplanSpec) -> bool:
    """Some prompt speaks a variant's lines ({script_...})."""
    for prompt in _prompts(spec):
        for _, text in prompt_texts(prompt):
            try:
                if set(template_fields(text)) & set(SCRIPT_VARIABLES):
                    return True
            except ValueError:
                continue
    return False


Problem = tuple[tuple[Any, ...], str]  # (path in the plan, message)


def check_variants(spec: DialplanSpec) -> list[Problem]:
    problems: list[Problem] = []
    known = set(BUILTIN_VARIABLES) | set(spec.variables) | set(CUSTOMER_VARIABLES)
    default = spec.segments.get("default")
    if uses_script(spec) and (default is None or not default.variants):
        problems.append((("segments", "default"), "prompts speak {script_...} lines, so the 'default' segment "
                         "needs script variants (segments without their own use them)"))
    for seg_name, seg in spec.segments.items():
        seen: list[tuple[str, ScriptVariant]] = []
        for name, variant in seg.variants.items():
            path = ("segments", seg_name, "variants", name)
            if _BAD_NAME.search(name):
                problems.append((path, f"variant name {name!r}: no spaces, commas or colons (it is an A/B arm's key)"))
            for part in SCRIPT_PARTS:
                problems += _line_problems(getattr(variant, part), (*path, part), known)
            problems += _same_as_earlier(seg_name, name, variant, seen)
            seen.append((name, variant))
    return problems


def _line_problems(line: Any, path: tuple[Any, ...], known: set[str]) -> list[Problem]:
    """One script line (a text, or several wordings of it): empty, bad template, variables it may not use."""
    problems: list[Problem] = []
    options = wordings(line)
    for i, text in enumerate(options):
        p = path if isinstance(line, str) else (*path, i)
        if not text.strip():
            problems.append((p, "empty line"))
            continue
        try:
            names = template_fields(text)
        except ValueError as exc:
            problems.append((p, str(exc)))
            continue
        problems += [(p, _variable_problem(var, known)) for var in names
                     if var in SCRIPT_VARIABLES or var not in known]
        needs = [v for v in customer_fields_used(text) if not CUSTOMER_VARIABLES[v].always_known]
        if needs and len(options) > 1 and i == len(options) - 1:
            # A single wording may use any field (the campaign checks its customers have it);
            # the last of several is the fallback and must fit every customer.
            problems.append((p, f"the fallback wording (the last) uses {{{needs[0]}}}, which is empty "
                                f"for customers without that field"))
    return problems


def _variable_problem(var: str, known: set[str]) -> str:
    if var in SCRIPT_VARIABLES:
        return f"a script line cannot use {{{var}}}"
    return f"unknown template variable {{{var}}} (known: {', '.join(sorted(known))})"


def _spoken(variant: ScriptVariant, part: str) -> str:
    """A part's wordings as compared: case, width, spaces and punctuation aside."""
    return _normal(" ".join(wordings(getattr(variant, part))))


def _same_as_earlier(seg_name: str, name: str, variant: ScriptVariant,
                     seen: list[tuple[str, ScriptVariant]]) -> list[Problem]:
    """A variant that speaks an earlier one's lines, or its pitch: the A/B test would measure nothing."""
    problems: list[Problem] = []
    path = ("segments", seg_name, "variants", name)
    whole = tuple(_spoken(variant, p) for p in SCRIPT_PARTS)
    for other_name, other in seen:
        if whole == tuple(_spoken(other, p) for p in SCRIPT_PARTS):
            problems.append((path, f"variants {other_name!r} and {name!r} of segment {seg_name!r} speak "
                                   f"identical lines: the A/B test would compare a script with itself"))
        elif _spoken(variant, "pitch") == _spoken(other, "pitch"):
            problems.append(((*path, "pitch"), f"variants {other_name!r} and {name!r} of segment {seg_name!r} "
                                               f"have the same pitch: the A/B test measures the pitch, write a "
                                               f"different one"))
    return problems


def script_lines(spec: DialplanSpec, segment: str, requested: str, values: dict[str, Any],
                 addressable: bool = True) -> tuple[str, dict[str, str]]:
    """(variant spoken, {script_opening: ..., ...}) for one call: the campaign's choice when the plan
    declares it, else the segment's first variant; each line in its first wording this customer's
    fields can fill, rendered (``addressable`` False: the customer's name is unknown, so no line
    opens by addressing them)."""
    from voicebot.dialogue.personalize import drop_address, pick_wording
    from voicebot.dialogue.plan.templates import render

    variants = segment_variants(spec, segment)
    if not variants:
        return "", {}
    name = requested if requested in variants else next(iter(variants))
    chosen = variants[name]
    def line(part: str) -> str:
        template = pick_wording(getattr(chosen, part), values)
        return render(template if addressable else drop_address(template), values)

    return name, {f"script_{part}": line(part) for part in SCRIPT_PARTS}
