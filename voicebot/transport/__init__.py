"""Phone lines as the conversation core sees them: protocols (``base``), SIP (``voicebot.sip``) and
an in-process implementation (``memory``) for fast tests."""

from voicebot.transport.base import CallControl, CallLeg, CallSignal, MediaPort, drain, unanswered_reason

__all__ = ["CallControl", "CallLeg", "CallSignal", "MediaPort", "drain", "unanswered_reason"]
