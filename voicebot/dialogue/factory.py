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
from voicebot.calling_hours import CallingRules  # the campaign's calling hours, one table
from voicebot.config import Settings
from voicebot.dialogue import survey
from voicebot.dialogue.agents import AgentAvailability, make_availability
from voicebot.dialogue.amd import AnsweringMachineDetector
from voicebot.dialogue.base import CallInfo, Locale
from voicebot.dialogue.confirm import ConfirmPolicy
from voicebot.dialogue.faq import FaqResponder, make_faq_responder
from voicebot.dialogue.nlu import make_intent_classifier
from voicebot.dialogue.nlu.base import IntentClassifier
from voicebot.dialogue.personalize import CUSTOMER_VARIABLES, SCRIPT_VARIABLES, wordings
from voicebot.dialogue.plan import Dialplan, load_dialplan
from voicebot.dialogue.plan.schema import SCRIPT_PARTS, DialplanSpec, Prompt
from voicebot.dialogue.plan.templates import prompt_texts, render, template_fields
from voicebot.dialogue.plan.variants import segment_variants
from voicebot.dialogue.runtime import PlanDialogue
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.factory")
PER_CALL = frozenset(CUSTOMER_VARIABLES) | frozenset(SCRIPT_VARIABLES) | {"follow_up", "name"}


@dataclass
class LoadedPlan:
    plan: Dialplan
    nlu: IntentClassifier
    amd: AnsweringMachineDetector
    faq: FaqResponder | None = None
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
                                         make_faq_responder(plan, settings),
                                         domain_prompt(plan.spec.variables, plan.spec.offers, plan.locale)))
        if default_name and not any(self._matches(lp, default_name) for lp in self.plans):
            raise VoicebotError(f"dialogue.plan {default_name!r}: no dialplan in {settings.paths.dialplans_dir} "
                                f"has that name or alias")
        self.default_name = default_name
        self.hours = CallingRules.from_config(settings.campaign)
        self._availability: dict[str, AgentAvailability] = {}
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
        d = self.settings.dialogue
        return PlanDialogue(lp.plan, lp.nlu, lp.amd, d.agent_uri, availability=self.availability(lp.plan),
                            hours=self.hours, default_timezone=self.settings.campaign.default_timezone,
                            callback_min_delay_s=self.settings.campaign.callback_min_delay_s,
                            survey_after=frozenset(d.survey.after) if d.survey.enabled else frozenset(),
                            faq=lp.faq,
                            confirm_policy=ConfirmPolicy.from_settings(d),
                            recognition_prompt=lp.recognition_prompt, hear_by_sound=d.hear_by_sound)

    def availability(self, plan: Dialplan) -> AgentAvailability:
        """One availability check per agent URI, shared by every call (the OPTIONS ping runs in the background)."""
        d = self.settings.dialogue
        uri = plan.spec.escalation.agent or d.agent_uri
        if uri not in self._availability:
            self._availability[uri] = make_availability(uri, d.agent_check, d.agent_capacity, d.agent_check_interval_s,
                                                        3 * d.agent_check_interval_s)
        return self._availability[uri]

    def prompts(self) -> Iterable[tuple[Locale, str]]:
        """Every fixed line of every plan, per segment, each once: rendered ahead of calls."""
        seen: set[tuple[str, str]] = set()
        for lp in self.plans:
            spec = lp.plan.spec
            fixed = [text for prompt in _fixed_prompts(lp.plan) for _, text in prompt_texts(prompt)]
            if self.settings.dialogue.survey.enabled:
                fixed += [lines[spec.locale] for lines in (survey.QUESTION, survey.THANKS, survey.ASK_AGAIN, survey.GOODBYE)]
            for seg_name in spec.segments:
                for line in _segment_lines(spec, seg_name, fixed):
                    if (lp.plan.locale, line) not in seen:
                        seen.add((lp.plan.locale, line))
                        yield lp.plan.locale, line  # type: ignore[misc]


def _fixed_prompts(plan: Dialplan) -> list[Prompt | None]:
    """The plan's prompts: its fallbacks, confirmations, states, transitions and FAQ answers."""
    spec = plan.spec
    texts = [spec.no_match, spec.no_input, spec.escalation.say, spec.escalation.no_agent, spec.voicemail.message]
    if spec.confirm is not None:
        texts += [spec.confirm.resume, *(c.say for c in spec.confirm.intents.values())]
    for st in spec.states.values():
        texts += [st.say, st.ask, st.no_match, st.no_input]
        texts += [getattr(a, "text", None) for a in st.actions]
    for t in [*spec.global_.values(), *(t for st in spec.states.values() for t in st.on.values())]:
        texts += [t.say, *(getattr(a, "text", None) for a in t.actions)]
    if plan.faq is not None:  # FAQ answers are fixed lines too: rendered ahead like the rest
        texts += [plan.faq.spec.decline, *(e.answer for e in plan.faq.spec.entries)]
    return texts


def _segment_lines(spec: DialplanSpec, seg_name: str, fixed: list[str]) -> list[str]:
    """The fixed lines and the segment's script lines, rendered with the segment's values."""
    seg = spec.segments[seg_name]
    values = {**spec.variables, "offer": spec.offers.get(seg.offer, ""), "segment": seg_name}
    own = [t for v in segment_variants(spec, seg_name).values() for part in SCRIPT_PARTS
           for t in wordings(getattr(v, part))]
    # Lines with a customer's data, a script line or a callback time are rendered per call.
    return [render(text, values) for text in fixed + own if not set(template_fields(text)) & PER_CALL]
