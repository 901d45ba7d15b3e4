"""From a call's first signal to its media: ringing out (outbound) or answered (inbound), until
the audio port is up, or why there never was a conversation."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voicebot.dialogue.base import CallInfo, Dialogue, PersonalLines
from voicebot.transport.base import CallControl, CallLeg, unanswered_reason

if TYPE_CHECKING:
    from voicebot.session.engines import Engines

INBOUND_MEDIA_TIMEOUT_S = 60  # answered by us: media that does not come up within this is a broken call


@dataclass
class MediaWait:
    ready: bool
    ended: dict[str, Any] | None = None  # the call's end, when it ended (or was ended) first
    answered_by: str | None = None  # the outcome's answered_by when there was no conversation


def wait_for_media(ua: CallControl, call: CallLeg, ring_timeout_s: float) -> MediaWait:
    """Blocks until the call has media, or ends it: a ring-out is CANCELed (487), media that never
    comes is a 408."""
    ringing = call.direction == "outbound"
    deadline = time.time() + (ring_timeout_s if ringing else INBOUND_MEDIA_TIMEOUT_S)
    while time.time() < deadline:
        try:
            sig = call.signals.get(timeout=0.5)
        except queue.Empty:
            continue
        if sig.kind == "ended":
            return MediaWait(False, sig.data, unanswered_reason(sig.data.get("code", 0)))
        if sig.kind == "media_ready" and (call.direction == "inbound" or call.answered):
            return MediaWait(True)
        if sig.kind == "answered" and call.port is not None:
            return MediaWait(True)
    if ringing and not call.answered:  # rang out: CANCEL, and it was nobody's fault but a no-answer
        ua.hangup(call, 487, reason="ring_timeout")
        return MediaWait(False, {"code": 487, "reason": "no answer", "hung_up_by": "bot"}, "no_answer")
    ua.hangup(call, 408, reason="no_media")
    return MediaWait(False, {"code": 408, "reason": "no media", "hung_up_by": "bot"})


def prerender_personal_lines(dialogue: Dialogue, info: CallInfo, engines: Engines, log: Any) -> None:
    """Lines with this customer's name and data cannot be cached in advance: synthesise them on the
    TTS pool while the phone rings, so the greeting starts without a synthesis delay."""
    if not isinstance(dialogue, PersonalLines):
        return
    try:
        items = [(info.locale, text) for text in dialogue.lines_to_prerender(info)]
    except Exception:  # a plan problem shows when the call starts; never fail here
        log.exception("prerender_failed")
        return
    if items:
        engines.tts_pool.submit(engines.renderer.prerender, items)
