"""The bot's ears on one call: port frames -> VAD -> end-of-turn -> barge-in, as a chain of stages."""

from __future__ import annotations

from voicebot.config import TurnConfig
from voicebot.media.barge_in import BargeInDetector
from voicebot.media.end_of_turn import EndOfTurnDetector
from voicebot.media.frames import AudioFrame, MediaEvent
from voicebot.media.vad import VoiceActivityDetector, frame_rms

# Line echo arrives up to this long after the bot's frame left; treat the bot as playing meanwhile.
ECHO_TAIL_FRAMES = 10


class CallListener:
    def __init__(self, turn: TurnConfig, sample_rate: int, frame_ms: int) -> None:
        self.vad = VoiceActivityDetector(sample_rate, turn.vad_aggressiveness)
        self.end_of_turn = EndOfTurnDetector(
            frame_ms=frame_ms,
            min_speech_ms=turn.min_speech_ms,
            end_silence_ms=turn.end_of_turn_silence_ms,
            speculate_after_ms=turn.speculative_asr_after_ms,
            max_turn_ms=int(turn.max_turn_s * 1000),
        )
        self.barge_in = BargeInDetector(frame_ms, turn.barge_in_ms, turn.echo_correlation, enabled=turn.barge_in_enabled)
        self.frames = 0
        self._since_bot = ECHO_TAIL_FRAMES + 1

    def feed(self, callee: list[bytes], bot: list[bytes | None]) -> list[MediaEvent]:
        events: list[MediaEvent] = []
        for i, pcm in enumerate(callee):
            played = bot[i] if i < len(bot) else None
            self._since_bot = 0 if played is not None else self._since_bot + 1
            frame = AudioFrame(
                pcm, self.frames, frame_rms(played) if played is not None else 0.0, self._since_bot <= ECHO_TAIL_FRAMES
            )
            self.frames += 1
            frame = self.vad(frame)
            events += self.end_of_turn(frame)
            events += self.barge_in(frame)
        return events

    @property
    def callee_speaking(self) -> bool:
        return self.end_of_turn.speaking
