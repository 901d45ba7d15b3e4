"""A call's recorder failing: the call goes on unrecorded, and the failure is reported once.

A full disk or a read-only mount must never hang up on a customer. ``CallSession`` opens, checks
and closes its recorder through here; a failure lands in the call's outcome, the process's
recording health (the readiness probe), the log and the console, and a whole recording clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voicebot.config import Settings
from voicebot.recording.recorder import CallRecorder
from voicebot.session.recording_health import RecordingHealth
from voicebot.transport.base import MediaPort


@dataclass
class RecordingFailures:
    outcome: dict[str, Any]  # the call's outcome: "recording_error" is set once
    health: RecordingHealth
    log: Any
    publish: Callable[..., None]

    def open(self, settings: Settings, call_uid: str, port: MediaPort, raw_key: Any) -> CallRecorder | None:
        """The call's recorder, or None when it cannot even open its files."""
        try:
            return CallRecorder(settings.paths.recordings_dir, call_uid, port.clock_rate, port.frame_bytes,
                                mask_numbers=settings.recording.mask_transcripts, raw_key=raw_key)
        except OSError as exc:
            self.failed(f"cannot open the recording: {exc.strerror or exc}", errno=exc.errno)
            return None

    def check(self, recorder: CallRecorder) -> None:
        """Reported once; the call goes on unrecorded."""
        if recorder.error is not None and "recording_error" not in self.outcome:
            self.failed(recorder.error, recording=str(recorder.wav_path))

    def close(self, recorder: CallRecorder) -> None:
        recorder.close()
        self.check(recorder)  # closing may fail too (the last buffered bytes)
        if recorder.error is None:
            self.health.succeeded()

    def failed(self, error: str, **detail: Any) -> None:
        self.outcome["recording_error"] = error
        self.health.failed(error)
        self.log.error("recording_failed", error=error, **detail)
        self.publish("recording_failed", error=error)
