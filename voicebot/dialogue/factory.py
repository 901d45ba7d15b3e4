"""Loads dialplans once (validated, NLU trained) and makes one PlanDialogue per call.

``dialogue.plan`` may be a dialplan file, a folder of them, or a plan name/alias looked up in
``paths.dialplans_dir``. A call picks its plan by the campaign's ``customer["dialplan"]`` name (a
plan's name or one of its aliases) and the call's locale; otherwise the configured default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from voicebot.asr.prompt import domain_prompt
from voicebot.config import Settings
from voicebot.dialogue.confirm import ConfirmPolicy
from voicebot.dialogue.amd import AnsweringMachineDetector
from voicebot.dialogue.base import CallInfo, Locale
from voicebot.dialogue.nlu import make_intent_classifier
from voicebot.dialogue.nlu.base import IntentClassifier
from voicebot.dialogue.plan import Dialplan, load_dialplan
from voicebot.dialogue.plan.templates import prompt_texts, render
from voicebot.dialogue.runtime import PlanDialogue
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.factory")


@dataclass
class LoadedPlan:
    plan: Dialplan
    nlu: IntentClassifier
    amd: AnsweringMachineDetector
    recognition_prompt: str = ""


def find_plan_files(plan: str, dialplans_dir: Path) -> tuple[list[Path], str]:
    """(files to load, name of the default plan or '' = the first file)."""
    p = Path(plan)
    if p.is_file():
        return [p], ""
    if p.is_dir():
        files = sorted(p.glob("*.yaml"))
        if not files:
            raise VoicebotError(f"dialogue.plan: folder {p} has no *.yaml dialplans")
        return files, ""
    if p.suffix in (".yaml", ".yml"):
        raise VoicebotError(f"dialogue.plan: no such dialplan file {p}")
    files = sorted(Path(dialplans_dir).glob("*.yaml"))
    if not files:
        raise VoicebotError(f"dialogue.plan {plan!r} is not a file, and {dialplans_dir} has no dialplans to look it up in")
    return files, plan


class PlanDialogueFactory:
    def __init__(self, settings: Settings) -> None:
        files, default_name = find_plan_files(settings.dialogue.plan, settings.paths.dialplans_dir)
        self.settings = settings
        self.plans: list[LoadedPlan] = []
        for f in files:
            plan = load_dialplan(f)
            vm = plan.spec.voicemail
            self.plans.append(LoadedPlan(plan, make_intent_classifier(plan, settings),
                                         AnsweringMachineDetector(vm.phrases, plan.locale, vm.long_first_turn_s),
                                         domain_prompt(plan.spec.variables, plan.spec.offers, plan.locale)))
        if default_name and not any(self._matches(lp, default_name) for lp in self.plans):
            raise VoicebotError(f"dialogue.plan {default_name!r}: no dialplan in {settings.paths.dialplans_dir} "
                                f"has that name or alias")
        self.default_name = default_name
        log.info("dialplans_loaded", plans=[lp.plan.name for lp in self.plans], default=default_name or self.plans[0].plan.name)

    @staticmethod
    def _matches(lp: LoadedPlan, name: str) -> bool:
        return name == lp.plan.name or name in lp.plan.spec.aliases or name == Path(lp.plan.path).stem

    def select(self, name: str, locale: str) -> LoadedPlan:
        """By name/alias in the call's locale, then by name alone, then the default plan, then any plan in the locale."""
        for wanted in (name, self.default_name):
            if not wanted:
                continue
            named = [lp for lp in self.plans if self._matches(lp, wanted)]
            for lp in named:
                if lp.plan.locale == locale:
                    return lp
            if named:
                return named[0]  # a name only one locale has: the name wins (the plan sets the language)
        same_locale = [lp for lp in self.plans if lp.plan.locale == locale]
        return (same_locale or self.plans)[0]

    def new_dialogue(self, call: CallInfo) -> PlanDialogue:
        lp = self.select(str(call.customer.get("dialplan") or ""), call.locale)
        if call.locale != lp.plan.locale:
            # The plan decides the call's language: the session reads call.locale for ASR and TTS.
            log.info("call_locale_from_plan", plan=lp.plan.name, was=call.locale, now=lp.plan.locale)
            call.locale = lp.plan.locale  # type: ignore[assignment]
        return PlanDialogue(lp.plan, lp.nlu, lp.amd, self.settings.dialogue.agent_uri,
                            confirm_policy=ConfirmPolicy.from_settings(self.settings.dialogue),
                            recognition_prompt=lp.recognition_prompt)

    def prompts(self) -> Iterable[tuple[Locale, str]]:
        seen: set[tuple[str, str]] = set()
        for lp in self.plans:
            spec = lp.plan.spec
            texts = [spec.no_match, spec.no_input, spec.escalation.say, spec.escalation.no_agent, spec.voicemail.message]
            if spec.confirm is not None:
                texts += [spec.confirm.resume, *(c.say for c in spec.confirm.intents.values())]
            for st in spec.states.values():
                texts += [st.say, st.no_match, st.no_input]
                texts += [getattr(a, "text", None) for a in st.actions]
            for t in [*spec.global_.values(), *(t for st in spec.states.values() for t in st.on.values())]:
                texts += [t.say, *(getattr(a, "text", None) for a in t.actions)]
            for seg_name, seg in spec.segments.items():
                values = {**spec.variables, "offer": spec.offers.get(seg.offer, ""), "follow_up": seg.follow_up,
                          "segment": seg_name}
                for prompt in texts:
                    for _, text in prompt_texts(prompt):
                        line = render(text, values)
                        if (lp.plan.locale, line) not in seen:
                            seen.add((lp.plan.locale, line))
                            yield lp.plan.locale, line  # type: ignore[misc]
