"""A Dialer that runs the real dialplan dialogue in-process, with a callee that answers in text.

No SIP, ASR or TTS: the callee reads the bot's lines and answers (or hangs up), the dialogue's
actions are gathered the way the call session gathers them, and the outcome goes through
``CallResult.from_outcome`` like a real call's. For A/B simulations on the real scripts (the callee
decides on what it actually heard) and for tests.

With ``opt_outs`` (a Redis client factory; required, None only where no do-not-call list is
shared) an opt-out is written to the do-not-call list the moment
the dialogue confirms it, between turns, as the voice path's CallSession does
(voicebot.campaign.optout): a worker that dies later in the call cannot lose it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from voicebot.campaign.clock import Clock
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.optout import OptOutWatch, dialogue_tags
from voicebot.dialogue.base import HangUp, Say, ScheduleCallback, SendOffer, Tag, Transfer, UserTurn

RING_S = 15.0  # a simulated call rings this long before it is answered
# (job, the bot's lines since the callee last spoke) -> what the callee says; None = hangs up.
Callee = Callable[[CallJob, list[str]], str | None]


class DialogueDialer:
    def __init__(self, dialogues: Any, callee: Callee, clock: Clock, max_turns: int = 30,
                 transfer_answered: bool = True, advance_clock: bool = False, *,
                 opt_outs: Callable[[], redis.Redis] | None) -> None:
        self.dialogues, self.callee, self.clock = dialogues, callee, clock
        self.opt_outs = opt_outs
        self.max_turns, self.transfer_answered = max_turns, transfer_answered
        self.advance_clock = advance_clock  # a simulated clock moves by each call's talk time
        self.said: dict[str, list[str]] = {}  # job id -> every line the bot said, the closing one included

    def dial(self, job: CallJob) -> CallResult:
        answers = getattr(self.callee, "answers", None)  # a callee may leave the phone ringing
        if answers is not None and not answers(job):
            self._advance(RING_S * 2)
            return CallResult("no_answer", duration_s=RING_S * 2)
        info = job.call_info(f"text-{job.job_id}", f"sip:{job.phone}@text")
        dialogue = self.dialogues.new_dialogue(info)
        if hasattr(dialogue, "clock"):
            dialogue.clock = self.clock.now  # a simulated campaign's clock reaches the callback times said
        outcome: dict[str, Any] = {"tags": [], "callbacks": [], "offers": []}
        opt_out = OptOutWatch(self.opt_outs, info) if self.opt_outs is not None else None
        pending = list(dialogue.start(info))
        hung_up_by = ""
        t = 0.5
        for _ in range(self.max_turns):
            lines, ended = self._bot_turn(job, dialogue, pending, outcome)
            if ended:
                hung_up_by = "bot"
            if opt_out is not None:  # confirmed in this turn: on the list before the next one
                opt_out.check(dialogue_tags(dialogue, outcome["tags"]))
            if ended or outcome.get("transfer", {}).get("ok"):
                break
            said = self.callee(job, lines)
            if said is None:
                hung_up_by = "remote"
                break
            pending += dialogue.on_user_turn(UserTurn(said, 0.9, t, t + 1.5))
            t += 4.0
        outcome.update(dialogue.outcome())
        self._advance(t + RING_S)  # the channel is held while it rings and while they talk
        outcome.update(hung_up_by=hung_up_by, duration_s=t, ended_at=self.clock.now())
        return CallResult.from_outcome(outcome, call_id=info.call_id)

    def _advance(self, seconds: float) -> None:
        if self.advance_clock and hasattr(self.clock, "advance"):
            self.clock.advance(seconds)

    def _bot_turn(self, job: CallJob, dialogue: Any, pending: list[Any],
                  outcome: dict[str, Any]) -> tuple[list[str], bool]:
        """Carries out the dialogue's pending actions (a transfer's result adds more): (lines said, hung up)."""
        lines: list[str] = []
        ended = False
        while pending:
            action = pending.pop(0)
            if isinstance(action, Say):
                lines.append(action.text)
                self.said.setdefault(job.job_id, []).append(action.text)
            elif isinstance(action, Transfer):
                outcome["transfer"] = {"ok": self.transfer_answered, "reason": action.reason}
                pending += dialogue.on_transfer_result(self.transfer_answered, "text dialer")
            elif isinstance(action, HangUp):
                ended = True
            else:
                _record(action, outcome)
        return lines, ended


def _record(action: Any, outcome: dict[str, Any]) -> None:
    """An action that only leaves a mark on the outcome: tags, a callback, an offer sent."""
    if isinstance(action, Tag):
        outcome["tags"].extend(action.tags)
    elif isinstance(action, ScheduleCallback):
        outcome["callbacks"].append({"at": action.at.isoformat() if action.at else None,
                                     "delay_s": action.delay_s, "note": action.note})
    elif isinstance(action, SendOffer):
        outcome["offers"].append(action.offer)
