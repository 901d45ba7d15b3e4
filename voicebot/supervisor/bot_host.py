"""What the supervisor's phone line and console channel need of the bot process that owns them.

A protocol, so the supervisor does not import the process (``voicebot.server.process``), which sits above it
and builds the supervisor's pieces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis

    from voicebot.config import Settings
    from voicebot.session.call_session import CallSession
    from voicebot.session.engines import Engines
    from voicebot.sip.agent import SipUserAgent


class BotHost(Protocol):
    settings: Settings
    engines: Engines
    ua: SipUserAgent
    supervision: Any  # the SupervisorLine the host built for itself

    def find_session(self, call_id: str) -> CallSession | None: ...

    def live_sessions(self) -> list[CallSession]: ...

    def _compliance_redis(self) -> redis.Redis: ...
