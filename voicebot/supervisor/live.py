"""The live-calls board: one row per call in progress, from the per-call hashes the workers keep.

The snapshot reads those hashes (store/live_state.py); each update the console pushes to browsers is
folded with the same ``apply_event`` on top of it, so a page opened mid-call and a page open since
the start agree, however long the call.
"""

from __future__ import annotations

from typing import Any

from voicebot.store.events import RedisEventReader
from voicebot.store.live_state import LiveCall, apply_event
from voicebot.store.records import BadRecord, clean_event, clean_live_row, log_skipped

__all__ = ["LiveBoard", "LiveCall", "fold"]


def fold(rows: dict[str, LiveCall], raw: Any, where: str, create: bool = True) -> LiveCall | None:
    """Validates one raw event and folds it into its row; a malformed event is skipped and logged."""
    try:
        event = clean_event(raw)
        if not event["call_id"]:
            return None
        row = rows.get(event["call_id"])
        if row is None:
            if not create:
                return None
            row = rows[event["call_id"]] = LiveCall(event["call_id"])
        return apply_event(row, event)
    except (BadRecord, TypeError, ValueError, AttributeError, KeyError) as exc:
        log_skipped("event", where, exc)
        return None


class LiveBoard:
    """Rows of the calls in progress, read from each live call's hash (written by its worker)."""

    def __init__(self, reader: RedisEventReader) -> None:
        self.reader = reader

    def snapshot(self) -> tuple[list[LiveCall], str]:
        """(rows of live calls, the stream id to continue from)."""
        hashes, last_id = self.reader.live_snapshot()
        rows = []
        for flat in hashes:
            try:
                rows.append(clean_live_row(flat))
            except BadRecord as exc:
                log_skipped("live call", f"voicebot:call:{str(flat.get('call_id'))[:100]}", exc)
        return sorted((r for r in rows if r.live), key=lambda r: (r.started, r.call_id)), last_id
