"""The call's outcome record: what the campaign needs to know once the callee hung up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GRADE_MEANING = {"A": "wants to buy", "B": "interested", "C": "not now", "D": "refuses"}
# Intents that say something about the lead when neither the transition nor the state grades it.
INTENT_GRADES = {"want_to_buy": "A", "ask_price": "B", "ask_discount": "B", "ask_details": "B",
                 "busy_call_later": "C", "not_interested": "D", "stop_calling": "D"}


@dataclass
class OutcomeRecord:
    plan: str
    segment: str
    answered_by: str = "human"
    final_state: str = ""
    grade: str | None = None
    tags: list[str] = field(default_factory=list)
    turns: int = 0
    intents: list[str] = field(default_factory=list)
    transfer_reason: str = ""
    escalation: str = ""
    emotions: list[str] = field(default_factory=list)
    hangup_reason: str = ""
    offer: str = ""
    variant: str = ""
    # Asked back before an irreversible action (voicebot/dialogue/confirm.py): question, answer, acted.
    confirmations: list[dict[str, Any]] = field(default_factory=list)
    heard_as: list[dict[str, Any]] = field(default_factory=list)  # short turns taken by their sound
    pitch_delivered: bool = False  # the variant's pitch was spoken: the call is an A/B trial
    csat: int | None = None  # 1-5 from the post-call survey
    callback_at: str = ""  # ISO time booked, as said to the customer
    faq_answered: list[str] = field(default_factory=list)  # FAQ entry ids answered during the call
    unanswered_questions: list[str] = field(default_factory=list)  # questions the FAQ could not answer

    def faq_turn(self, entry_id: str, question: str, answered: bool) -> None:
        if answered:
            self.faq_answered.append(entry_id)
        else:
            self.unanswered_questions.append(question)

    def set_grade(self, grade: str | None) -> None:
        """The latest evidence wins, except that a sale (A) stays a sale."""
        if grade and self.grade != "A":
            self.grade = grade

    def tag(self, *tags: str) -> None:
        for t in tags:
            if t not in self.tags:
                self.tags.append(t)

    def as_dict(self) -> dict[str, Any]:
        tags = list(self.tags)
        return {
            "plan": self.plan, "segment": self.segment, "answered_by": self.answered_by,
            "final_state": self.final_state, "intent_grade": self.grade,
            "intent_grade_meaning": GRADE_MEANING.get(self.grade or "", ""),
            "tags": tags, "turns": self.turns, "intents": list(self.intents),
            "transfer_reason": self.transfer_reason, "escalation": self.escalation,
            "emotions": list(self.emotions), "offer": self.offer, "script_variant": self.variant,
            "confirmations": [dict(c) for c in self.confirmations],
            "heard_as": [dict(h) for h in self.heard_as],
            "pitch_delivered": self.pitch_delivered, "csat": self.csat,
            **({"callback_at": self.callback_at} if self.callback_at else {}),
            "do_not_call": "do_not_call" in tags, "complaint": "complaint" in tags, "converted": "converted" in tags,
            **({"dialogue_hangup": self.hangup_reason} if self.hangup_reason else {}),
            **({"faq_answered": list(self.faq_answered)} if self.faq_answered else {}),
            **({"unanswered_questions": list(self.unanswered_questions)} if self.unanswered_questions else {}),
        }
