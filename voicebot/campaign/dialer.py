"""The seam between campaigns and the voice loop: a Dialer places one call and reports how it went.

The SIP side implements ``Dialer.dial`` with the real call session; ``CallResult.from_outcome``
maps a session's outcome dict (``voicebot.session.call_session``) onto a CallResult.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from voicebot.dialogue.base import CallInfo

AnsweredBy = Literal["human", "voicemail", "no_answer", "busy", "invalid", "failed"]
IntentGrade = Literal["A", "B", "C", "D"]


@dataclass
class CallJob:
    campaign: str
    job_id: str  # "<customer_id>:<attempt>"
    customer_id: str
    phone: str  # E.164
    attempt: int  # 1-based
    kind: Literal["first", "retry", "callback"] = "first"
    segment: str = "general"
    dialplan: str = "scripted"
    script_variant: str = ""
    offer: str = ""
    locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    due: float = 0.0  # epoch seconds the job became due
    customer: dict[str, Any] = field(default_factory=dict)  # CRM profile for the dialogue (CallInfo.customer)
    # The compliance gate's Decision for this attempt (voicebot.campaign.compliance); never stored.
    cleared: Any = field(default=None, repr=False, compare=False)

    def call_info(self, call_id: str, remote_uri: str) -> CallInfo:
        customer = {**self.customer, "segment": self.segment, "offer": self.offer,
                    "script_variant": self.script_variant, "dialplan": self.dialplan, "phone": self.phone,
                    "timezone": self.timezone}
        return CallInfo(call_id, "outbound", remote_uri, self.locale, customer)  # type: ignore[arg-type]

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("cleared")
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CallJob:
        return cls(**json.loads(text))


@dataclass
class CallResult:
    answered_by: AnsweredBy
    intent_grade: IntentGrade | None = None  # None when nobody talked
    tags: list[str] = field(default_factory=list)
    turns: int = 0
    duration_s: float = 0.0
    transferred: bool = False
    transfer_reason: str = ""
    # The agent's leg was bridged through the bot (it ended with the call; the agent's wrap-up
    # follows), rather than the customer handed over by REFER.
    bridged: bool = False
    callback_at: float | None = None  # epoch seconds the customer asked to be called back
    do_not_call: bool = False  # customer asked us to stop calling
    complaint: bool = False
    converted: bool = False  # accepted the offer during the call
    hung_up_by: Literal["bot", "remote", ""] = ""
    call_id: str = ""
    error: str = ""
    # The script variant's pitch was spoken (None: the dialogue does not say; then any answered call counts).
    pitch_delivered: bool | None = None
    variant: str = ""  # the script variant the dialogue spoke ("" = not reported)
    # Post-call survey answer 1-5 (5 = very satisfied), None when not asked / not answered; the
    # survey (DTMF or spoken 满意/一般/不满意) sets outcome["csat"].
    csat: int | None = None
    emotions: list[str] = field(default_factory=list)  # per-turn emotion labels, in order
    unanswered_questions: list[str] = field(default_factory=list)  # the FAQ had no answer (faq_misses.py)
    # The engine that failed during the call ("asr" / "tts"), "" when none: the emergency plan took
    # over, so the call is recorded as engine_failure, never as a lead.
    engine_failure: str = ""
    offer: str = ""  # the offer the dialogue presented or sent ("" = not reported; the plan's then stands)

    @property
    def success(self) -> bool:
        """An intent customer (grade A or B)."""
        return self.intent_grade in ("A", "B")

    def rewarded(self, reward: str) -> bool:
        """What the script bandit optimises (``campaign.bandit_reward``): a sale, or an intent customer."""
        return self.converted if reward == "converted" else self.success

    @property
    def ab_trial(self) -> bool:
        """Counts in the A/B test: a person heard the pitch."""
        return self.answered_by == "human" and self.pitch_delivered is not False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallResult:
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def from_outcome(cls, outcome: dict[str, Any], call_id: str = "") -> CallResult:
        """From a call session's outcome dict (answered_by, tags, turns, transfer, callbacks, ...)."""
        tags = [str(t) for t in outcome.get("tags", [])]
        transfer = outcome.get("transfer") or {}
        grade = outcome.get("intent_grade") or outcome.get("intent")
        pitch = outcome.get("pitch_delivered")
        return cls(
            answered_by=_answered_by(outcome),
            intent_grade=grade if grade in ("A", "B", "C", "D") else None,
            tags=tags,
            turns=int(outcome.get("turns", 0) or 0),
            duration_s=float(outcome.get("duration_s", 0.0) or 0.0),
            transferred=bool(transfer.get("ok")),
            bridged=bool(transfer.get("ok")) and bool(transfer.get("bridged")),
            transfer_reason=str(outcome.get("transfer_reason") or transfer.get("reason") or ""),
            callback_at=_callback_at(outcome),
            do_not_call=_flagged(outcome, tags, "do_not_call", "stop_calling"),
            complaint=_flagged(outcome, tags, "complaint"),
            converted=_flagged(outcome, tags, "converted"),
            hung_up_by=outcome.get("hung_up_by", ""),
            offer=str((outcome.get("offers") or [""])[-1] or outcome.get("offer") or ""),
            call_id=call_id,
            error=str(outcome.get("error", "")),
            pitch_delivered=pitch if isinstance(pitch, bool) else None,
            variant=str(outcome.get("script_variant") or ""),
            csat=_csat(outcome.get("csat")),
            emotions=[str(e) for e in outcome.get("emotions", []) if e],
            unanswered_questions=[str(q) for q in outcome.get("unanswered_questions", [])],
            engine_failure=_engine_failure(outcome.get("engine_failure")),
        )


_ANSWERED_BY = ("human", "voicemail", "no_answer", "busy", "invalid")


def _answered_by(outcome: dict[str, Any]) -> AnsweredBy:
    answered = outcome.get("answered_by", "failed")
    return answered if answered in _ANSWERED_BY else "failed"


def _callback_at(outcome: dict[str, Any]) -> float | None:
    """Epoch seconds of the last callback asked for: a time, or a delay after the call ended."""
    callback_at = None
    for cb in outcome.get("callbacks", []):
        if cb.get("at"):
            callback_at = datetime.fromisoformat(cb["at"]).timestamp()
        elif cb.get("delay_s") is not None:
            callback_at = outcome.get("ended_at", datetime.now().timestamp()) + float(cb["delay_s"])
    return callback_at


def _flagged(outcome: dict[str, Any], tags: list[str], name: str, *also: str) -> bool:
    """The outcome says so, or the call was tagged so (by ``name`` or an older tag ``also``)."""
    return bool(outcome.get(name)) or any(t in tags for t in (*also, name))


def _engine_failure(value: Any) -> str:
    """The engine that failed, from {"engine": ...} or from its name given as is."""
    if isinstance(value, dict):
        return str(value.get("engine", ""))
    return str(value or "")


def _csat(value: Any) -> int | None:
    try:
        score = int(value)
    except (TypeError, ValueError):
        return None
    return score if 1 <= score <= 5 else None


class Dialer(Protocol):
    def dial(self, job: CallJob) -> CallResult:
        """Place the call and block until it has ended. Must not raise for call failures:
        report them as answered_by no_answer/busy/invalid/failed."""


# Builds the dialer a worker uses; the SIP engineer plugs the real voice-loop dialer in here.
DialerFactory = Callable[..., Dialer]
