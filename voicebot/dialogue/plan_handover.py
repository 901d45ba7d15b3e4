"""Handing a dialplan call to a person: escalation, the agent's summary, and what happens without one.

Mixed into ``PlanDialogue`` (runtime.py). With no agent to take the call, the plan's
``transfer_failed`` state runs, or the bot promises a callback (when one can still be made) and hangs up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from voicebot.dialogue.base import Action, HangUp, Say, ScheduleCallback, Transfer
from voicebot.dialogue.callback_time import no_callback_line
from voicebot.dialogue.outcome import OutcomeRecord
from voicebot.dialogue.plan import Dialplan
from voicebot.dialogue.plan.schema import Prompt
from voicebot.dialogue.plan.templates import render
from voicebot.locales import is_chinese
from voicebot.logs import get_logger

log = get_logger("voicebot.dialogue.plan")
# The customer's mood as the agent's summary words it.
EMOTION_WORDS = {
    "en-US": {"neutral": "calm", "positive": "positive", "agitated": "agitated", "withdrawn": "withdrawn", "": "calm"},
    "zh-CN": {"neutral": "平静", "positive": "积极", "agitated": "激动", "withdrawn": "冷淡", "": "平静"},
}


class HandoverSteps:
    # State held by PlanDialogue (declared here for the reader and the type checker).
    plan: Dialplan
    agent_uri: str
    state: str
    done: bool
    transferring: bool
    values: dict[str, Any]
    record: OutcomeRecord | None
    heard: list[str]

    def _summary(self, reason: str) -> str:
        locale = self.plan.locale
        emotions = [e for e in self.record.emotions if e]
        emotion = EMOTION_WORDS[locale].get(emotions[-1] if emotions else "", emotions[-1] if emotions else "")
        sep = "；" if is_chinese(locale) else "; "
        asked = sep.join(self.heard[-3:]) or ("无" if is_chinese(locale) else "nothing yet")
        values = {**self.values, "segment": self.values["segment_label"], "asked": asked, "emotion": emotion,
                  "reason": reason, "intents": ", ".join(self.record.intents[-3:])}
        return render(self.plan.spec.escalation.summary, values)

    def _transfer(self, reason: str, mode: str | None = None, target: str = "") -> list[Action]:
        rules = self.plan.spec.escalation
        target = target or rules.agent or self.agent_uri
        self.record.transfer_reason = reason
        if not target:
            log.info("transfer_without_agent", reason=reason)
            return self._no_agent(reason)
        self.transferring = True
        self.record.final_state = "transferring"
        return [Transfer(target, mode or rules.mode, self._summary(reason), reason)]

    def _no_agent(self, reason: str) -> list[Action]:
        rules = self.plan.spec.escalation
        if self.plan.spec.transfer_failed:
            return self._enter(self.plan.spec.transfer_failed)
        self.done = True
        self.record.hangup_reason = "no_agent"
        if self._no_callback_possible():
            self.record.tag("callback_unavailable")
            self.record.final_state = "no_agent"
            return [Say(no_callback_line(self.plan.locale, after_transfer=True)), HangUp("no_agent")]
        self.record.tag("callback")
        self.record.final_state = "callback_after_failed_transfer"
        self._plan_callback(rules.callback_delay_s)
        return [Say(self._text(rules.no_agent)), self._callback_action(rules.callback_delay_s, f"agent callback: {reason}"),
                HangUp("no_agent")]

    def _escalate(self, reason: str) -> list[Action]:
        log.info("escalation", reason=reason, plan=self.plan.name, state=self.state, segment=self.record.segment,
                 intents=self.record.intents[-3:], emotions=self.record.emotions[-3:])
        self.record.escalation = reason
        self.record.tag("escalated")
        return [Say(self._text(self.plan.spec.escalation.say)), *self._transfer(reason)]

    def on_transfer_result(self, ok: bool, detail: str = "") -> list[Action]:
        self.transferring = False
        if ok:
            self.done = True
            self.record.final_state = "transferred"
            self.record.tag("transferred")
            return []
        log.info("transfer_failed", detail=detail, reason=self.record.transfer_reason)
        return self._no_agent(self.record.transfer_reason or detail)

    if TYPE_CHECKING:  # defined by PlanDialogue and CallbackSteps; stubs here would shadow them at run time
        def _text(self, prompt: Prompt) -> str: ...
        def _enter(self, name: str) -> list[Action]: ...
        def _plan_callback(self, delay_s: float | None) -> None: ...
        def _no_callback_possible(self) -> bool: ...
        def _callback_action(self, delay_s: float, note: str) -> ScheduleCallback: ...
