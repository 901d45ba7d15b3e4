"""The emergency plan (应急预案) for one call: an engine failed or hung, so the bot apologises with
a stored line and hands the callee to a person, or books a callback and hangs up.

The session asks ``check_*`` on its loop; the first failure wins and the plan runs once. What
happened is logged at error level, published as an ``engine_failure`` event (counted by the
metrics sink) and written into the call's outcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from voicebot.config import Settings
from voicebot.dialogue.base import Action, HangUp, Say, ScheduleCallback, Transfer
from voicebot.session.reply_wait import prompts as holding_lines

Engine = Literal["asr", "tts"]


@dataclass(frozen=True)
class EngineFailure:
    engine: Engine
    kind: Literal["error", "timeout"]
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"engine": self.engine, "failure": self.kind, "detail": self.detail}


class EmergencyPlan:
    def __init__(self, settings: Settings, locale: str) -> None:
        self.cfg = settings.emergency
        self.agent_uri = settings.dialogue.agent_uri
        self.line = fallback_line(settings, locale)
        self.failure: EngineFailure | None = None

    def asr_overdue(self, submitted_at: float, now: float | None = None) -> bool:
        return (now or time.time()) - submitted_at > self.cfg.asr_timeout_s

    def tts_stalled(self, stalled_s: float) -> bool:
        return stalled_s > self.cfg.tts_timeout_s

    def due_at(self, asr_submitted_at: float | None, tts_stalled_since: float | None) -> list[float | None]:
        """When the recognition the call waits for, or the synthesis it waits for, becomes overdue
        (wall times, for the session's next wake-up); nothing once the plan ran."""
        if self.failure is not None:
            return []
        return [None if asr_submitted_at is None else asr_submitted_at + self.cfg.asr_timeout_s,
                None if tts_stalled_since is None else tts_stalled_since + self.cfg.tts_timeout_s]

    def trigger(self, failure: EngineFailure) -> list[Action] | None:
        """The actions to carry out instead of the conversation; None once it already ran."""
        if self.failure is not None:
            return None
        self.failure = failure
        # A broken synthesiser still plays the apology: it was rendered into the cache at start-up.
        actions: list[Action] = [Say(self.line, interruptible=False)]
        if self.agent_uri:
            actions.append(Transfer(self.agent_uri, "blind", reason=f"engine failure: {failure.engine}"))
        else:
            actions += [ScheduleCallback(delay_s=self.cfg.callback_delay_s, note=f"engine failure: {failure.engine}"),
                        HangUp("engine_failure")]
        return actions


def fallback_line(settings: Settings, locale: str) -> str:
    lines = settings.emergency.lines
    return lines.get(locale) or lines.get("en-US") or next(iter(lines.values()))


def prompts(settings: Settings) -> list[tuple[str, str]]:
    """(locale, text) of every line said when an engine fails or is late, for the start-up pre-render."""
    return list(settings.emergency.lines.items()) + holding_lines(settings)
