"""Checks a parsed dialplan for what the schema cannot see: every name it refers to exists."""

from __future__ import annotations

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.personalize import CUSTOMER_VARIABLES, SCRIPT_VARIABLES
from voicebot.dialogue.plan.loader import DialplanError, LineMap
from voicebot.dialogue.plan.schema import (
    ActionSpec,
    DialplanSpec,
    HangUpAction,
    OfferAction,
    Prompt,
    SayAction,
    TransferAction,
    Transition,
)
from voicebot.dialogue.plan.templates import BUILTIN_VARIABLES, SUMMARY_VARIABLES, template_fields
from voicebot.dialogue.plan.variants import check_variants


class _Checker:
    def __init__(self, spec: DialplanSpec, lines: LineMap) -> None:
        self.spec, self.lines = spec, lines
        self.problems: list[tuple[int, str]] = []
        self.variables = set(BUILTIN_VARIABLES) | set(spec.variables) | set(CUSTOMER_VARIABLES) | set(SCRIPT_VARIABLES)

    def problem(self, path: tuple, reason: str) -> None:
        where = ".".join(str(p) for p in path)
        self.problems.append((self.lines.line(path), f"{where}: {reason}"))

    def state_ref(self, path: tuple, name: str | None) -> None:
        if name is not None and name not in self.spec.states:
            self.problem(path, f"unknown state {name!r} (states: {', '.join(self.spec.states)})")

    def prompt(self, path: tuple, prompt: Prompt | None, extra: tuple[str, ...] = ()) -> None:
        if prompt is None:
            return
        if isinstance(prompt, dict):
            if "default" not in prompt:
                self.problem(path, "a prompt with script variants needs a 'default' variant")
            items = [((*path, k), v) for k, v in prompt.items()]
        else:
            items = [(path, prompt)]
        for p, text in items:
            if not text.strip():
                self.problem(p, "empty prompt")
            try:
                names = template_fields(text)
            except ValueError as exc:
                self.problem(p, str(exc))
                continue
            for name in names:
                if name not in self.variables and name not in extra:
                    self.problem(p, f"unknown template variable {{{name}}} (known: {', '.join(sorted(self.variables | set(extra)))})")

    def actions(self, path: tuple, actions: list[ActionSpec]) -> None:
        for i, a in enumerate(actions):
            if isinstance(a, SayAction):
                self.prompt((*path, i, "say"), a.text)
            elif isinstance(a, OfferAction) and a.offer and a.offer not in self.spec.offers:
                self.problem((*path, i), f"unknown offer {a.offer!r} (offers: {', '.join(self.spec.offers)})")

    def transition(self, path: tuple, intent: str, t: Transition) -> None:
        if intent != OUT_OF_SCOPE and intent not in self.spec.intents:
            self.problem(path, f"unknown intent {intent!r} (intents: {', '.join(self.spec.intents)})")
        self.state_ref((*path, "goto"), t.goto)
        self.prompt((*path, "say"), t.say)
        self.actions((*path, "actions"), t.actions)

    def run(self) -> list[tuple[int, str]]:
        s = self.spec
        self.state_ref(("start",), s.start)
        self.state_ref(("on_exhausted",), s.on_exhausted)
        self.state_ref(("transfer_failed",), s.transfer_failed)
        self.prompt(("no_match",), s.no_match)
        self.prompt(("no_input",), s.no_input)
        if "default" not in s.segments:
            self.problem(("segments",), "a 'default' segment strategy is required (customers with no or an unknown segment)")
        for name, seg in s.segments.items():
            if seg.offer not in s.offers and seg.offer != "none":
                self.problem(("segments", name, "offer"), f"unknown offer {seg.offer!r}")
        for path, reason in check_variants(s):
            self.problem(path, reason)
        for seg in s.escalation.high_value_segments:
            if seg not in s.segments:
                self.problem(("escalation", "high_value_segments"), f"unknown segment {seg!r}")
        for key, text in s.offers.items():
            self.prompt(("offers", key), text)
        self.prompt(("escalation", "say"), s.escalation.say)
        self.prompt(("escalation", "no_agent"), s.escalation.no_agent)
        self.prompt(("escalation", "summary"), s.escalation.summary, SUMMARY_VARIABLES)
        self.prompt(("voicemail", "message"), s.voicemail.message)
        for intent, t in s.global_.items():
            self.transition(("global", intent), intent, t)
        owners: dict[str, str] = {}
        for intent, spec in s.intents.items():
            for i, ex in enumerate(spec.examples):
                key = ex.strip().lower()
                if key in owners and owners[key] != intent:
                    self.problem(("intents", intent, "examples", i), f"example {ex!r} is also an example of {owners[key]!r}")
                owners.setdefault(key, intent)
        for name, st in s.states.items():
            path = ("states", name)
            self.prompt((*path, "say"), st.say)
            self.prompt((*path, "no_match"), st.no_match)
            self.prompt((*path, "no_input"), st.no_input)
            self.actions((*path, "actions"), st.actions)
            self.state_ref((*path, "on_exhausted"), st.on_exhausted)
            for intent, t in st.on.items():
                self.transition((*path, "on", intent), intent, t)
            ends = any(isinstance(a, (HangUpAction, TransferAction)) for a in st.actions)
            if st.say is None and not ends:
                self.problem(path, "missing prompt: a state that listens needs 'say'")
        self.confirm()
        return self.problems

    def confirm(self) -> None:
        c = self.spec.confirm
        if c is None:
            return
        if c.resume is not None:
            self.prompt(("confirm", "resume"), c.resume)
        for intent, ci in c.intents.items():
            path = ("confirm", "intents", intent)
            if intent not in self.spec.intents:
                self.problem(path, f"unknown intent {intent!r} (intents: {', '.join(self.spec.intents)})")
            if ci.say is not None:
                self.prompt((*path, "say") if isinstance(ci.say, dict) else path, ci.say)
            for i, state in enumerate(ci.in_states):
                self.state_ref((*path, "in_states", i), state)
        missing = [i for i in ("affirm", "deny") if i not in self.spec.intents]
        if c.intents and missing:
            self.problem(("confirm",), f"confirmations are answered yes or no: the plan needs the intents "
                                       f"{' and '.join(missing)}")


def validate(spec: DialplanSpec, lines: LineMap, file: str) -> None:
    problems = _Checker(spec, lines).run()
    if problems:
        raise DialplanError(file, problems)
