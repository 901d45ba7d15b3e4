"""Dialplans: YAML conversation plans (format in dialplans/README.md), loaded and validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from voicebot.dialogue.plan.inherit import Inheritance, inherit
from voicebot.dialogue.plan.loader import DialplanError, LineMap, parse_spec, read_yaml
from voicebot.dialogue.plan.schema import DialplanSpec
from voicebot.dialogue.plan.validate import validate

if TYPE_CHECKING:
    from voicebot.dialogue.faq import Faq


@dataclass
class Dialplan:
    spec: DialplanSpec
    path: str
    lines: LineMap = field(repr=False, default_factory=LineMap)
    faq: Faq | None = None  # the knowledge base the plan points to
    inheritance: Inheritance = field(default_factory=Inheritance)  # what came from the everyday library

    def example_location(self, intent: str, index: int) -> tuple[str, int]:
        """(file, line) of an example of the merged plan: the plan's own, or the library's."""
        origins = self.inheritance.origins.get(intent)
        if origins is not None and index < len(origins) and origins[index] is not None:
            return origins[index].file, origins[index].line
        return self.path, self.lines.line(("intents", intent, "examples", index))

    def oos_location(self, index: int) -> tuple[str, int]:
        o = self.inheritance.oos_origins
        if index < len(o) and o[index] is not None:
            return o[index].file, o[index].line
        return self.path, self.lines.line(("out_of_scope_examples", index))

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def locale(self) -> str:
        return self.spec.locale

    @property
    def examples(self) -> dict[str, list[str]]:
        """Intent -> example utterances (what the NLU trains on; the Rasa exporter reads this too)."""
        return {name: list(intent.examples) for name, intent in self.spec.intents.items()}

    @property
    def out_of_scope_examples(self) -> list[str]:
        return list(self.spec.out_of_scope_examples)


def load_dialplan(path: str | Path) -> Dialplan:
    """Reads and validates a dialplan; raises DialplanError listing file:line: reason for each problem."""
    file = str(path)
    data, lines = read_yaml(path)
    spec, inheritance = inherit(parse_spec(data, lines, file))
    validate(spec, lines, file)
    faq = None
    if spec.faq:
        from voicebot.dialogue.faq import load_faq

        faq_path = Path(path).parent / spec.faq
        if not faq_path.is_file():
            raise DialplanError(file, [(lines.line(("faq",)), f"faq: no such FAQ file {str(faq_path)!r}")])
        faq = load_faq(faq_path, spec.locale)
    return Dialplan(spec, file, lines, faq, inheritance)


__all__ = ["Dialplan", "DialplanError", "Inheritance", "load_dialplan"]
