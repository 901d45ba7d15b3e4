"""Settings: The conversation: dialogue, survey, emergency plan, fault drills."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from voicebot.engine_registry import NLU_ENGINES


class SurveyConfig(BaseModel):
    # One satisfaction question after calls that reached a conclusion (DTMF 1-5 or spoken
    # 满意/一般/不满意, satisfied/okay/unsatisfied); the answer is the call's `csat` (1-5).
    enabled: bool = False
    # Hang-up reasons of the dialplan that count as a conclusion (completed sale or goodbye,
    # refusal, agreed callback); calls ending otherwise (wrong number, opt-out, voicemail) get none.
    after: list[str] = ["completed", "refused", "callback_scheduled"]


class DialogueConfig(BaseModel):
    # A dialplan file, a folder of them, a plan name/alias (in paths.dialplans_dir), or "scripted"
    # for the built-in minimal conversation. See dialplans/README.md.
    plan: str = "scripted"
    # The language of calls whose plan or customer does not say (en-US or zh-CN).
    locale: Literal["en-US", "zh-CN"] = "en-US"
    # The intent recogniser the plan runtime uses, a registered NLU engine: the embedded classifier,
    # an external Rasa, or any engine a module registered (`voicebot engines --kind nlu`).
    engine: str = "embedded"
    rasa_url: str = "http://127.0.0.1:5005"  # the Rasa server's REST address (engine = "rasa")
    rasa_timeout_s: float = 2.0  # per /model/parse; a slower answer reads as out_of_scope
    rasa_bin: str = ""  # the rasa executable; empty = <repo>/.venv-rasa/bin/rasa (scripts/setup-rasa.sh)
    # Where "talk to a person" goes (SIP URI of an agent or queue); empty = no transfer.
    agent_uri: str = ""
    # The built-in scripted plan's transfer: "blind" REFER, or "warm" (agent hears a summary first).
    transfer_mode: Literal["blind", "warm"] = "blind"
    transfer_timeout_s: float = 25.0  # an agent who does not answer a transfer this long counts as not answering
    out_of_scope_threshold: float = 0.45  # Rasa; the embedded classifier calibrates its own (docs/nlu.md)
    # Sentence encoder inside the embedded classifier and the FAQ retriever: "use-m3" (USE-multilingual,
    # ~1-3 ms), "e5-small" (multilingual-e5-small, ~6-15 ms), or "none" (character n-grams only).
    nlu_encoder: Literal["use-m3", "e5-small", "none"] = "use-m3"
    # An intent the dialplan marks `confirm:` is asked back ("you'd like us not to call you
    # again?") before its irreversible action when the turn is doubtful: ASR confidence or the
    # margin between the best and second intent under these (figures: docs/chinese.md).
    confirm_asr_confidence: float = Field(0.6, ge=0.0, le=1.0)
    # A closing intent whose lead over the second intent is below this is asked back first.
    confirm_intent_margin: float = Field(0.3, ge=0.0, le=1.0)
    # Short zh turns compared by sound (toneless pinyin) with the answers the state expects
    # (dialogue/nlu/phonetic.py): 普适 heard as 不是. Such a turn never closes a customer unconfirmed.
    hear_by_sound: bool = True
    # Who can take a hand-over right now (voicebot/dialogue/agents.py): "options" pings the agent URI
    # with SIP OPTIONS, "capacity" trusts agent_capacity, "always" assumes someone answers. The
    # proactive high-value hand-over happens only when someone is available; otherwise the bot
    # carries on with its pitch.
    agent_check: Literal["options", "capacity", "always"] = "options"
    agent_capacity: int = Field(0, ge=0)  # agents taking hand-overs at once (0 = no proactive hand-over)
    agent_check_interval_s: float = Field(15.0, gt=0)  # how often the agents' availability is checked
    survey: SurveyConfig = SurveyConfig()  # the satisfaction survey at the end of a call

    @field_validator("engine")
    @classmethod
    def _registered_engine(cls, value: str) -> str:
        return NLU_ENGINES.validate(value)


class EmergencyConfig(BaseModel):
    """The seed's 应急预案: when recognition or synthesis fails or hangs mid-call, the callee hears
    a stored apology and goes to a person (dialogue.agent_uri) or is called back."""

    # One turn's recognition, from the end of speech; longer counts as hung. Generous: an overloaded
    # machine (or vosk catching up on a long turn) is slow, not broken.
    asr_timeout_s: float = Field(15.0, gt=0)
    tts_timeout_s: float = Field(6.0, gt=0)  # a line's synthesis with nothing new to play
    callback_delay_s: float = Field(1800.0, ge=0)  # the callback booked when no agent takes an emergency hand-over
    # Rendered into the prompt cache at start-up, so they play even when synthesis is down.
    lines: dict[str, str] = {
        "en-US": "Sorry, our system is having a technical problem. A colleague will follow up with you shortly.",
        "zh-CN": "不好意思，我们的系统出了点问题，稍后会有同事跟您联系。",
    }


class FaultDrillConfig(BaseModel):
    """Emergency drills: make an engine fail on purpose to rehearse the fallback (off by default)."""

    # Make recognition raise or hang, to rehearse an engine failure, or be slow (``slow_s`` per
    # turn), to rehearse an overloaded machine (never in production).
    asr: Literal["", "raise", "hang", "slow"] = ""
    # Make synthesis raise or hang, to rehearse an engine failure (never in production).
    tts: Literal["", "raise", "hang"] = ""
    after_uses: int = Field(0, ge=0)  # the engine works this many times per process first
    slow_s: float = Field(3.0, gt=0)  # asr = "slow": each recognition takes this much longer
