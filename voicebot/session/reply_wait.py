"""Holding the line while a reply is late: an overloaded machine must not sound like a dead line.

When the callee's turn has been waiting for its transcript longer than ``turn.reply_filler_after_s``,
the bot says the locale's short holding line (「好的，您稍等。」) once for that turn and keeps the
turn: the real reply follows as soon as it is ready, and its latency is still measured from the end
of the callee's speech. The line is stored audio (rendered at start-up), so it costs no synthesis
on a machine that is already short of CPU.
"""

from __future__ import annotations

import time
from typing import Callable

from voicebot.config import Settings
from voicebot.logs import get_logger
from voicebot.session.results import PendingTurn


class ReplyWait:
    def __init__(self, settings: Settings, locale: str, say: Callable[[str], object],
                 publish: Callable[..., None], call_id: str = "") -> None:
        turn = settings.turn
        self.after_s = turn.reply_filler_after_s
        lines = turn.reply_filler_lines
        self.line = lines.get(locale) or lines.get("en-US") or next(iter(lines.values()), "")
        self._say, self._publish = say, publish
        self._held: int | None = None  # start frame of the turn the line was said for
        self.fillers = 0
        self.log = get_logger("voicebot.session", call_id=call_id)

    def due_at(self, oldest: PendingTurn | None) -> float | None:
        """Wall time the holding line is due for ``oldest``; None when it never will be."""
        if not self.after_s or not self.line or oldest is None:
            return None
        if oldest.recognition.done() or oldest.start_frame == self._held:
            return None
        return oldest.ended_at + self.after_s

    def check(self, oldest: PendingTurn | None, bot_busy: bool, now: float | None = None) -> bool:
        """Says the holding line when ``oldest`` (the turn the reply waits for) is overdue and the
        bot is quiet; True when it did."""
        if not self.after_s or not self.line or oldest is None or bot_busy:
            return False
        if oldest.recognition.done() or oldest.start_frame == self._held:
            return False
        waited = (now or time.time()) - oldest.ended_at
        if waited < self.after_s:
            return False
        self._held = oldest.start_frame
        self.fillers += 1
        self._say(self.line)
        self.log.info("reply_filler", waited_ms=round(waited * 1000), turn_start_frame=oldest.start_frame)
        self._publish("reply_filler", waited_ms=round(waited * 1000), text=self.line)
        return True


def prompts(settings: Settings) -> list[tuple[str, str]]:
    """(locale, text) of the holding lines, for the start-up pre-render."""
    return list(settings.turn.reply_filler_lines.items()) if settings.turn.reply_filler_after_s else []
