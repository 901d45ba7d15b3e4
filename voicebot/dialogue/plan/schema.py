"""The dialplan file format (YAML), as pydantic models. Documented in dialplans/README.md.

A transition may be written as a bare state name; an action as a one-key mapping
(``{say: ...}``, ``{transfer: {mode: warm}}``, ``{tag_customer: [a, b]}``) or a bare action name.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Grade = Literal["A", "B", "C", "D"]
# A prompt is one line, or script variants: {default: "...", vip: "...", discount-tiered: "..."}.
Prompt = Union[str, dict[str, str]]
ACTION_KINDS = ("say", "transfer", "schedule_callback", "tag_customer", "send_offer", "hang_up")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SayAction(_Strict):
    kind: Literal["say"] = "say"
    text: Prompt


class TransferAction(_Strict):
    kind: Literal["transfer"] = "transfer"
    mode: Literal["blind", "warm"] | None = None  # None = the plan's escalation.mode
    target: str = ""  # SIP URI; empty = escalation.agent, then dialogue.agent_uri
    reason: str = "transfer requested by the dialplan"


class CallbackAction(_Strict):
    kind: Literal["schedule_callback"] = "schedule_callback"
    delay_s: float | None = Field(default=None, ge=0)  # None = the segment strategy's follow-up time
    note: str = ""


class TagAction(_Strict):
    kind: Literal["tag_customer"] = "tag_customer"
    tags: tuple[str, ...]


class OfferAction(_Strict):
    kind: Literal["send_offer"] = "send_offer"
    offer: str = ""  # an offers key; empty = the call's offer (campaign's, else the segment's)


class HangUpAction(_Strict):
    kind: Literal["hang_up"] = "hang_up"
    reason: str = "completed"


ActionSpec = Union[SayAction, TransferAction, CallbackAction, TagAction, OfferAction, HangUpAction]
_ACTION_MODELS = {"say": SayAction, "transfer": TransferAction, "schedule_callback": CallbackAction,
                  "tag_customer": TagAction, "send_offer": OfferAction, "hang_up": HangUpAction}


def parse_action(raw: Any) -> ActionSpec:
    """``hang_up`` | ``{hang_up: reason}`` | ``{transfer: {mode: warm}}`` | ``{say: text}`` ..."""
    if isinstance(raw, BaseModel):
        return raw  # type: ignore[return-value]
    if isinstance(raw, str):
        raw = {raw: None}
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(f"an action is one of {', '.join(ACTION_KINDS)} written as a one-key mapping, got {raw!r}")
    kind, arg = next(iter(raw.items()))
    if kind not in _ACTION_MODELS:
        raise ValueError(f"unknown action {kind!r}; known actions: {', '.join(ACTION_KINDS)}")
    model = _ACTION_MODELS[kind]
    if isinstance(arg, dict) and kind not in ("say",):
        return model(**arg)
    if arg is None:
        if kind in ("say", "tag_customer"):
            raise ValueError(f"action {kind!r} needs a value")
        return model()
    if kind == "say":
        return SayAction(text=arg)
    if kind == "tag_customer":
        return TagAction(tags=tuple(arg) if isinstance(arg, list) else (str(arg),))
    if kind == "send_offer":
        return OfferAction(offer=str(arg))
    if kind == "hang_up":
        return HangUpAction(reason=str(arg))
    if kind == "transfer":
        return TransferAction(mode=arg)
    if kind == "schedule_callback":
        return CallbackAction(delay_s=float(arg))
    raise ValueError(f"bad value for action {kind!r}: {arg!r}")


def _actions(value: Any) -> Any:
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    return [parse_action(a) for a in value]


class Transition(_Strict):
    goto: str | None = None  # None = stay in the current state (answer, keep listening)
    say: Prompt | None = None
    actions: list[ActionSpec] = Field(default_factory=list)
    grade: Grade | None = None
    reprompt: bool = False  # staying: repeat the state's question after `say`

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"goto": value} if isinstance(value, str) else value

    _parse_actions = field_validator("actions", mode="before")(lambda cls, v: _actions(v))


class IntentSpec(_Strict):
    # An intent of the everyday library (plan/inherit.py) may be extended by a single example.
    examples: list[str] = Field(min_length=1)
    override: bool = False  # a library intent of this name: use these examples only (default: extend it)
    complex: bool = False  # counts toward "complex need twice in a row" escalation
    grade: Grade | None = None  # what this intent says about the lead, when a transition does not say

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"examples": value} if isinstance(value, list) else value


class State(_Strict):
    say: Prompt | None = None  # spoken on entry
    # Said again after an answer that keeps the call here (a price asked mid-pitch, "who is this?").
    # Default: the last sentence of `say` when it is a question, else all of `say` — not the
    # greeting and introduction over again.
    ask: Prompt | None = None
    actions: list[ActionSpec] = Field(default_factory=list)  # carried out on entry, after say
    on: dict[str, Transition] = Field(default_factory=dict)
    retries: int | None = Field(default=None, ge=0)  # no-match / no-input reprompts before on_exhausted
    no_match: Prompt | None = None
    no_input: Prompt | None = None
    on_exhausted: str | None = None
    grade: Grade | None = None

    _parse_actions = field_validator("actions", mode="before")(lambda cls, v: _actions(v))


# A script line: one wording, or a list tried in order, the first whose customer fields are all
# known wins (the last is the fallback and may use no customer field).
ScriptLine = Union[str, list[str]]
SCRIPT_PARTS = ("opening", "pitch", "offer", "closing")


class ScriptVariant(_Strict):
    """One arm of the segment's A/B test: its own lines, used in prompts as {script_<part>}."""

    opening: ScriptLine
    pitch: ScriptLine
    offer: ScriptLine
    closing: ScriptLine

    @field_validator("opening", "pitch", "offer", "closing")
    @classmethod
    def _not_empty(cls, v: ScriptLine) -> ScriptLine:
        if isinstance(v, list) and not v:
            raise ValueError("a script line needs at least one wording")
        return v


class SegmentStrategy(_Strict):
    label: str = ""  # how the segment is said in the agent's summary; empty = the key
    variant: str = "default"  # prompt variant key (for prompts written as {default: ..., vip: ...})
    # Script variants the campaign's A/B bandit chooses between (its arms, by name); a segment
    # without variants uses the `default` segment's.
    variants: dict[str, ScriptVariant] = Field(default_factory=dict)
    offer: str = "none"  # offers key
    follow_up_s: float = Field(default=72 * 3600, ge=0)
    # How the follow-up is said when the dialogue knows no calling hours; normally {follow_up} is the
    # booked time itself (voicebot/dialogue/callback_time.py), so what is said is what is booked.
    follow_up: str = ""
    escalate: bool = False  # high-value segments: hand to a dedicated agent once the customer engages


class Escalation(_Strict):
    mode: Literal["blind", "warm"] = "warm"
    agent: str = ""  # SIP URI; empty = settings dialogue.agent_uri
    request_human: bool = True
    complex_in_a_row: int = Field(default=2, ge=0)  # 0 = off
    agitated_turns: int = Field(default=2, ge=0)  # agitated on this many of the last `agitated_window` turns
    agitated_window: int = Field(default=3, ge=1)
    no_match_in_a_row: int = Field(default=3, ge=0)
    high_value_segments: list[str] = Field(default_factory=list)
    say: Prompt  # before the transfer
    summary: str  # spoken to the agent: {name} {segment} {asked} {emotion} {reason} ...
    no_agent: Prompt  # nobody answered / no agent configured: then a callback is scheduled
    callback_delay_s: float = Field(default=2 * 3600, ge=0)


class Voicemail(_Strict):
    phrases: list[str] = Field(default_factory=list)  # greeting phrases of answering machines
    long_first_turn_s: float = Field(default=6.0, gt=0)  # a first callee turn this long = a recorded greeting
    message: Prompt | None = None  # left on the machine before hanging up; None = hang up silently


class ConfirmIntent(_Strict):
    say: Prompt | None = None  # the question: "您是说以后不要再给您打电话了，对吗？" (None = the engine's)
    always: bool = False  # ask even when the turn was heard and understood clearly
    in_states: list[str] = Field(default_factory=list)  # only in these states (empty = wherever it acts)
    # Opt out of the engine's own confirmation of an act that closes the customer (dialplan check warns).
    never: bool = False

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        # A line, or script variants of it ({default: ..., vip: ...}), stands for {say: ...}.
        keys = {"say", "always", "in_states", "never"}
        if isinstance(value, str) or (isinstance(value, dict) and value and not keys & value.keys()):
            return {"say": value}
        return value


class Confirmation(_Strict):
    """Intents whose transition cannot be undone (hang up, tag the customer): on a doubtful turn
    the bot asks back first and acts only on a yes (voicebot/dialogue/confirm.py)."""
    intents: dict[str, ConfirmIntent] = Field(default_factory=dict)
    resume: Prompt | None = None  # on a no: said before the current question is asked again (None = the engine's)


class EverydaySettings(_Strict):
    """The shipped everyday-intent library (voicebot/dialogue/everyday/) the plan inherits."""
    enabled: bool = True
    exclude: list[str] = Field(default_factory=list)  # library intents this plan does not want


class NluSettings(_Strict):
    threshold: float | None = Field(default=None, ge=0, le=1)  # None = settings dialogue.out_of_scope_threshold


class DialplanSpec(_Strict):
    name: str
    locale: Literal["zh-CN", "en-US"]
    description: str = ""
    aliases: list[str] = Field(default_factory=list)  # campaign dialplan names this file serves
    start: str
    variables: dict[str, str] = Field(default_factory=dict)  # template variables and their defaults
    offers: dict[str, str] = Field(default_factory=dict)  # offer key -> how it is said
    segments: dict[str, SegmentStrategy]
    nlu: NluSettings = NluSettings()
    everyday: EverydaySettings = EverydaySettings()
    intents: dict[str, IntentSpec]
    out_of_scope_examples: list[str] = Field(default_factory=list)  # negatives for the classifier
    faq: str | None = None  # FAQ file (knowledge base), relative to the dialplan file; docs/nlu.md
    global_: dict[str, Transition] = Field(default_factory=dict, alias="global")
    retries: int = Field(default=2, ge=0)
    no_match: Prompt
    no_input: Prompt
    on_exhausted: str  # state entered when a state's retries run out
    states: dict[str, State]
    escalation: Escalation
    voicemail: Voicemail = Voicemail()
    transfer_failed: str | None = None  # state after an unanswered transfer; None = built-in: no_agent + callback
    confirm: Confirmation | None = None  # asked back before an irreversible action on a doubtful turn
