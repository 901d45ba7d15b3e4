"""When a call goes to a person: the dialplan's escalation rules, each decision with its reason."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.plan.schema import Escalation

REQUEST_HUMAN = "request_human"


@dataclass
class EscalationTracker:
    rules: Escalation
    complex_intents: frozenset[str]
    segment: str = ""
    complex_streak: int = 0
    no_match_streak: int = 0
    emotions: deque = field(default_factory=lambda: deque(maxlen=10))
    # The proactive high-value hand-over needs a person who can take the call right now
    # (voicebot.dialogue.agents); without one the bot carries on with its pitch.
    agent_available: Callable[[], bool] = lambda: False
    pitch_delivered: bool = False

    def on_turn(self, intent: str, emotion: str | None, in_scope_handled: bool) -> str | None:
        """Updates the counters with one callee turn; the reason to escalate now, or None.
        ``in_scope_handled``: the plan had an answer for this intent where the call is."""
        r = self.rules
        self.emotions.append(emotion or "")
        self.complex_streak = self.complex_streak + 1 if (intent == OUT_OF_SCOPE or intent in self.complex_intents) else 0
        self.no_match_streak = 0 if in_scope_handled else self.no_match_streak + 1
        if r.request_human and intent == REQUEST_HUMAN:
            return "the customer asked for a person"
        window = list(self.emotions)[-r.agitated_window:]
        if r.agitated_turns and window.count("agitated") >= r.agitated_turns:
            return f"sustained negative emotion (agitated on {window.count('agitated')} of the last {len(window)} turns)"
        if r.complex_in_a_row and self.complex_streak >= r.complex_in_a_row:
            return f"a complex or out-of-scope need {self.complex_streak} times in a row"
        if r.no_match_in_a_row and self.no_match_streak >= r.no_match_in_a_row:
            return f"{self.no_match_streak} turns in a row not understood"
        if (self.segment in r.high_value_segments and in_scope_handled and self.pitch_delivered
                and intent in INTERESTED and self.agent_available()):
            # The seed's rule for high-value churn risk: a dedicated person once they show interest in
            # the offer (not on "是我": confirming who they are is no interest yet).
            return f"high-value customer in segment {self.segment}: dedicated agent"
        return None

    def on_no_input(self) -> str | None:
        self.no_match_streak += 1
        r = self.rules
        if r.no_match_in_a_row and self.no_match_streak >= r.no_match_in_a_row + 1:
            return f"{self.no_match_streak} turns in a row with no answer or not understood"
        return None


# Turns after the pitch that show interest: they trigger the high-value hand-over.
INTERESTED = frozenset({"affirm", "want_to_buy", "ask_price", "ask_discount", "ask_details", "already_customer"})
