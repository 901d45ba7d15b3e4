"""What the campaign needs from its dialplans: the A/B arms per segment, and checks at plan/start.

The bandit's arms are exactly the script variants a dialplan declares for the segment (see
``voicebot/dialogue/plan/variants.py``), never names kept here. The customer-data variables the
lines use are checked against the campaign's columns before any call, so a mapping mistake shows
as ``file:line: ... uses {points}, but ...`` instead of every customer hearing the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicebot.campaign.campaign import CampaignError
from voicebot.campaign.cli_messages import msg, said
from voicebot.config import Settings
from voicebot.dialogue.personalize import CUSTOMER_VARIABLES, columns_for, customer_fields_used, wordings
from voicebot.dialogue.plan import Dialplan, load_dialplan
from voicebot.dialogue.plan.schema import SCRIPT_PARTS
from voicebot.dialogue.plan.variants import ab_arms, plan_segment
from voicebot.engine_registry import dialogue_engine


@dataclass
class CampaignScripts:
    plans: list[Dialplan]
    default_name: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> CampaignScripts | None:
        """The dialplans calls will use (``dialogue.plan``); None for an engine that runs no dialplan
        (the built-in scripted plan, Rasa)."""
        if not dialogue_engine(settings.dialogue.plan).capabilities.needs_plan:
            return None
        from voicebot.dialogue.factory import find_plan_files

        files, default_name = find_plan_files(settings.dialogue.plan, Path(settings.paths.dialplans_dir))
        return cls([load_dialplan(f) for f in files], default_name)

    @staticmethod
    def _matches(plan: Dialplan, name: str) -> bool:
        return name == plan.name or name in plan.spec.aliases or name == Path(plan.path).stem

    def select(self, name: str, locale: str) -> Dialplan:
        """The plan a call with this campaign dialplan name and locale gets (as the dialogue factory picks)."""
        for wanted in (name, self.default_name):
            named = [p for p in self.plans if wanted and self._matches(p, wanted)]
            for p in named:
                if p.locale == locale:
                    return p
            if named:
                return named[0]
        same = [p for p in self.plans if p.locale == locale]
        return (same or self.plans)[0]

    def arms(self, dialplan: str, locale: str, segment: str, strategy: str = "") -> list[str]:
        spec = self.select(dialplan, locale).spec
        return ab_arms(spec, plan_segment(spec, segment, strategy))

    def check_fields(self, dialplan_names: set[str], locale: str,
                     records: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
        """(errors, warnings) about customer fields the script lines use. Error: a line with no
        fallback wording, and customers without that field. Warning: no customer has the field, so
        everyone hears the fallback."""
        errors: list[CampaignError] = []
        warnings: list[str] = []
        seen: set[str] = set()
        for name in sorted(dialplan_names):
            plan = self.select(name, locale)
            if plan.path in seen:
                continue
            seen.add(plan.path)
            for seg_name, seg in plan.spec.segments.items():
                for var_name, variant in seg.variants.items():
                    for part in SCRIPT_PARTS:
                        line = getattr(variant, part)
                        options = wordings(line)
                        for i, text in enumerate(options):
                            path = ("segments", seg_name, "variants", var_name, part) + (() if isinstance(line, str) else (i,))
                            where = f"{plan.path}:{plan.lines.line(path)}: {'.'.join(map(str, path))}"
                            for var in customer_fields_used(text):
                                if CUSTOMER_VARIABLES[var].always_known:
                                    continue
                                cols = set(columns_for(var))
                                lacking = [r for r in records if not any(r.get(c) not in (None, "", []) for c in cols)]
                                field = CUSTOMER_VARIABLES[var].fields[0]
                                if lacking and i == len(options) - 1:
                                    example = lacking[0].get("crm_id") or lacking[0].get("name") or lacking[0].get("id")
                                    errors.append(said(CampaignError, "field_lacking", where=where, var=var,
                                                       lacking=len(lacking), total=len(records), field=field,
                                                       example=example))
                                elif len(lacking) == len(records):
                                    warnings.append(f"{where} uses {{{var}}}, but no customer has a {field!r} field "
                                                    f"(columns read: {', '.join(columns_for(var))}): everyone hears the "
                                                    f"fallback wording")
        return errors, list(dict.fromkeys(warnings))

    def escalation_warning(self, settings: Settings, zh: bool = False) -> str:
        """Escalation rules exist but nobody could take a hand-over: say so when the campaign starts."""
        d = settings.dialogue
        for plan in self.plans:
            rules = plan.spec.escalation
            has_rules = rules.request_human or rules.high_value_segments or rules.complex_in_a_row or rules.agitated_turns
            if not has_rules:
                continue
            if not (rules.agent or d.agent_uri):
                return msg("no_agent", zh, plan=plan.name)
            if d.agent_check == "capacity" and d.agent_capacity == 0:
                return msg("no_agent_capacity", zh, plan=plan.name)
        return ""
