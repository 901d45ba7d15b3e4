"""Old home of the call events; they live in ``voicebot.call_events`` (the store below the session uses them)."""

from __future__ import annotations

from voicebot.call_events import CallEvent, EventSink, public_customer

__all__ = ["CallEvent", "EventSink", "public_customer"]
