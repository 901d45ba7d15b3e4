"""Campaign calls through the real voice loop: the ``Dialer`` that campaign workers use."""

from __future__ import annotations

from typing import Any

from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.config import Settings
from voicebot.logs import get_logger
from voicebot.server.process import VoicebotServer

log = get_logger("voicebot.dialer")


def dial_uri(settings: Settings, phone: str) -> str:
    """E.164 number -> SIP URI at the PBX (or as-is when the job already holds a SIP URI)."""
    if phone.startswith("sip:"):
        return phone
    host = settings.sip.domain or settings.sip.registrar.removeprefix("sip:") or "127.0.0.1"
    return settings.campaign.dial_uri_template.format(phone=phone, host=host)


class VoiceLoopDialer:
    """Places each job's call from this process's bot and blocks until the conversation ends."""

    def __init__(self, server: VoicebotServer, call_timeout_s: float = 900.0) -> None:
        self.server = server
        self.call_timeout_s = call_timeout_s

    def dial(self, job: CallJob) -> CallResult:
        uri = dial_uri(self.server.settings, job.phone)
        try:
            customer = job.call_info("", uri).customer
            session = self.server.place_call(uri, customer, job.locale, cleared=job.cleared)
        except Exception as exc:  # e.g. SIP error on INVITE: report, never raise into the worker
            log.warning("dial_failed", job=job.job_id, error=str(exc))
            return CallResult(answered_by="failed", error=str(exc))
        result = session.join(self.call_timeout_s)
        if result is None:
            self.server.ua.hangup(session.call, 408, reason="campaign_timeout")
            result = session.join(10)
        self.server.forget(session)  # no serve loop reaps in a campaign worker
        if result is None:
            return CallResult(answered_by="failed", call_id=session.call.uid, error="call did not finish")
        return CallResult.from_outcome(result.outcome, result.call_id)

    def probe_engines(self) -> str | None:
        """Whether this bot's ASR and TTS answer now (a paused campaign worker asks before it dials)."""
        from voicebot.session.engine_probe import probe_engines

        return probe_engines(self.server.engines)

    def close(self) -> None:
        self.server.stop()


def voice_loop_dialer_factory(settings: Settings, clock: Any) -> VoiceLoopDialer:
    from voicebot.server.sinks import make_event_sinks
    from voicebot.supervisor.worker import attach_supervision

    server = VoicebotServer(settings, sinks=make_event_sinks(settings))
    attach_supervision(settings, server)  # campaign calls can be listened to and are in /metrics too
    server.start()
    return VoiceLoopDialer(server)
