"""The narrow interface between the voice loop and whatever decides what the bot says.

The call session feeds a ``Dialogue`` events (start, callee turn, DTMF, silence, emotion,
transfer result) and carries out the ``Action``s it returns, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Literal, Protocol, Union, runtime_checkable

from voicebot.emotion.types import EmotionReading

Locale = Literal["en-US", "zh-CN"]


@dataclass
class CallInfo:
    call_id: str
    direction: Literal["inbound", "outbound"]
    remote_uri: str
    locale: Locale = "en-US"
    # CRM profile fields the plan may use: name, segment, product, offer, phone, ...
    customer: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UserTurn:
    text: str
    confidence: float
    start_s: float  # seconds since the call was answered
    end_s: float
    emotion: EmotionReading | None = None
    # The recogniser put an expected answer in place of its free decode (asr/closed_set.py): the
    # words were chosen by their sound, so they never close a customer unconfirmed.
    by_sound: bool = False
    # asr.closed_set_fallback: the expected answer the turn's sound fits best; taken (by sound) only
    # when the words themselves mean nothing the state handles ('' = none).
    fallback_text: str = ""


@dataclass(frozen=True)
class Say:
    text: str
    interruptible: bool = True


@dataclass(frozen=True)
class Transfer:
    target: str  # SIP URI of the agent or queue
    mode: Literal["blind", "warm"] = "blind"
    summary: str = ""  # spoken to the agent before connecting (warm)
    reason: str = ""


@dataclass(frozen=True)
class HangUp:
    reason: str = "completed"


@dataclass(frozen=True)
class Tag:
    tags: tuple[str, ...]


@dataclass(frozen=True)
class ScheduleCallback:
    at: datetime | None = None
    delay_s: float | None = None
    note: str = ""


@dataclass(frozen=True)
class SendOffer:
    offer: str


Action = Union[Say, Transfer, HangUp, Tag, ScheduleCallback, SendOffer]


class Dialogue(Protocol):
    """One instance per call. Methods are called from the call's session thread, never the media thread."""

    def start(self, call: CallInfo) -> list[Action]: ...

    def on_user_turn(self, turn: UserTurn) -> list[Action]: ...

    def on_dtmf(self, digit: str) -> list[Action]: ...

    def on_no_input(self) -> list[Action]: ...

    def on_transfer_result(self, ok: bool, detail: str = "") -> list[Action]: ...

    def on_instruction(self, text: str) -> list[Action]:
        """A supervisor's whispered instruction (typed or spoken), e.g. "transfer now"."""

    def outcome(self) -> dict[str, Any]:
        """Final state, intent grade, tags, ...; called once after hang-up."""


class ExpectedAnswerLike(Protocol):
    text: str
    label: str  # what the answer means: an intent, "csat:satisfied" (…neutral, …dissatisfied), "yes" / "no"


@runtime_checkable
class HelpsRecognition(Protocol):
    """What a dialogue may offer the recogniser (the dialplan runtime does; Rasa and the scripted plan do not):
    the plan's domain words, and the short answers it expects in its current state."""

    recognition_prompt: str

    def expected_answers(self, wide: bool = False, closed_only: bool = False) -> tuple[ExpectedAnswerLike, ...]: ...


@runtime_checkable
class ReportsState(Protocol):
    """A dialogue with named states (a dialplan node, the scripted plan's step), shown on the console."""

    state: str


@runtime_checkable
class PersonalLines(Protocol):
    """A dialogue whose opening lines carry the customer's own data: rendered while the phone rings."""

    def lines_to_prerender(self, call: CallInfo) -> list[str]: ...


class DialogueFactory(Protocol):
    """Built once at start-up (loads plans, trains NLU); makes one Dialogue per call."""

    def new_dialogue(self, call: CallInfo) -> Dialogue: ...

    def prompts(self) -> Iterable[tuple[Locale, str]]:
        """Fixed lines the TTS cache should render before calls connect."""
