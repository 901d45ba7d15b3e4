"""Prompt templates: ``{name}``-style variables, script variants, rendering for one call."""

from __future__ import annotations

import string
from typing import Any, Mapping

from voicebot.dialogue.plan.schema import Prompt

# Always available in prompts; the plan's `variables` add more (with defaults).
BUILTIN_VARIABLES = ("name", "product", "company", "offer", "follow_up", "segment")
SUMMARY_VARIABLES = ("asked", "emotion", "reason", "phone", "intents")


def template_fields(text: str) -> list[str]:
    """Variable names used in ``text``; ValueError for broken braces."""
    names = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"bad template {text!r}: {exc} (write a literal brace as {{{{ or }}}})") from None
    for _, field, spec, conv in parsed:
        if field is None:
            continue
        if field == "" or not field.isidentifier():
            raise ValueError(f"bad template variable {{{field}}} in {text!r}")
        if spec or conv:
            raise ValueError(f"template variable {{{field}}} takes no format spec or conversion")
        names.append(field)
    return names


def prompt_texts(prompt: Prompt | None) -> list[tuple[str, str]]:
    """[(variant, text)] of a prompt ('' variant for a plain line)."""
    if prompt is None:
        return []
    if isinstance(prompt, str):
        return [("", prompt)]
    return list(prompt.items())


def pick_variant(prompt: Prompt, variants: tuple[str, ...]) -> str:
    """The first of ``variants`` the prompt has, else its default."""
    if isinstance(prompt, str):
        return prompt
    for v in variants:
        if v and v in prompt:
            return prompt[v]
    return prompt["default"]


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(text: str, values: Mapping[str, Any]) -> str:
    return string.Formatter().vformat(text, (), _Defaulting({k: "" if v is None else v for k, v in values.items()}))
