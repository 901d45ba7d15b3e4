"""Opt-outs written the moment the customer makes them, not when the call ends.

A customer who says 「以后别给我打电话了」 or complains is on the do-not-call list as soon as the
dialogue tags the call (``stop_calling`` / ``do_not_call`` / ``complaint``): a worker or bot process
that dies later in the call cannot lose it. The write is idempotent (``DoNotCallList.add``), so the
worker recording the same opt-out at call end adds nothing and audits nothing twice.

Both dialler paths run it: the voice path's ``CallSession`` every step, the text dialer
(``DialogueDialer``) after every bot turn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

import redis

from voicebot.campaign.dnc import DoNotCallList
from voicebot.campaign.phones import PhoneError, normalise_phone
from voicebot.dial_identity import customer_number
from voicebot.dialogue.base import CallInfo
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

if TYPE_CHECKING:
    from voicebot.config import Settings

OptOutReason = Literal["stop_calling", "complaint"]
_TAG_REASONS: dict[str, OptOutReason] = {"stop_calling": "stop_calling", "do_not_call": "stop_calling",
                                         "complaint": "complaint"}
RETRY_S = 1.0  # a Redis that is away is tried again this often, for as long as the call lasts

log = get_logger("voicebot.optout")


def opt_out_reason(tags: Iterable[str]) -> OptOutReason | None:
    """The strongest opt-out the tags hold (a complaint is more than a request), or None."""
    reasons = {_TAG_REASONS[t] for t in tags if t in _TAG_REASONS}
    return "complaint" if "complaint" in reasons else ("stop_calling" if reasons else None)


def call_number(info: CallInfo) -> str | None:
    """The customer's E.164 number: the CRM phone when it is one, else the number the URI dials."""
    phone = str(info.customer.get("phone") or "")
    if phone:
        try:
            return normalise_phone(phone)
        except PhoneError:
            pass
    return customer_number(info.remote_uri or "")


def dialogue_tags(dialogue: object, outcome_tags: Iterable[str]) -> list[str]:
    """Tags so far: the plan runtime's record and the session's Tag actions."""
    record = getattr(dialogue, "record", None)
    return [*getattr(record, "tags", []), *outcome_tags]


class OptOutWatch:
    """Checked after every step of a call; writes each opt-out once, at once."""

    def __init__(self, client_factory: Callable[[], redis.Redis], info: CallInfo) -> None:
        self._client_factory = client_factory
        self._client: redis.Redis | None = None
        self.info = info
        self.number = call_number(info)
        self.written: OptOutReason | None = None
        self._next_try = 0.0
        self._warned = False

    def check(self, tags: Iterable[str]) -> bool:
        """True when an opt-out was written by this call."""
        reason = opt_out_reason(tags)
        if reason is None or reason == self.written or self.written == "complaint":
            return self.written is not None
        if self.number is None:
            if not self._warned:
                self._warned = True
                log.warning("opt_out_without_number", call_id=self.info.call_id, reason=reason)
            return False
        if time.monotonic() < self._next_try:
            return False
        try:
            self._client = self._client or self._client_factory()
            DoNotCallList(self._client).add(self.number, reason, by=f"call:{self.info.call_id}",
                                            call_id=self.info.call_id)
        except (redis.RedisError, OSError, VoicebotError) as exc:  # StoreError: Redis unreachable
            self._next_try = time.monotonic() + RETRY_S
            log.error("opt_out_write_failed", call_id=self.info.call_id, reason=reason, error=str(exc))
            return False
        self.written = reason
        log.info("opt_out_recorded", call_id=self.info.call_id, phone=self.number, reason=reason)
        return True

    def retry_at(self) -> float | None:
        """Wall time a failed write is tried again (the call session wakes for it); None: no retry due."""
        wait = self._next_try - time.monotonic()
        return time.time() + wait if wait > 0 else None


def watch_call(settings: Settings, info: CallInfo) -> OptOutWatch | None:
    """The call session's watch; None without Redis (no shared do-not-call list to write to: the
    worker records the outcome)."""
    if not settings.redis.url:
        return None
    from voicebot.store.redis_server import connect_redis

    return OptOutWatch(lambda: connect_redis(settings), info)
