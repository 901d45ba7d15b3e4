"""Groups speech frames into callee turns and decides when a turn is over."""

from __future__ import annotations

from collections import deque

import numpy as np

from voicebot.media.frames import AudioFrame, MediaEvent, Pcm16, SpeechPaused, SpeechResumed, SpeechStarted, TurnEnded


class EndOfTurnDetector:
    """IDLE -> (speech >= min_speech) -> SPEAKING -> (silence >= end_silence) -> TurnEnded.

    Emits SpeechPaused once the closing silence reaches ``speculate_after_ms`` so the caller
    can start recognising before the turn is officially over; SpeechResumed cancels that.
    """

    def __init__(
        self,
        frame_ms: int = 20,
        min_speech_ms: int = 120,
        end_silence_ms: int = 400,
        speculate_after_ms: int = 160,
        preroll_ms: int = 200,
        tail_ms: int = 120,
        max_turn_ms: int = 20000,
    ) -> None:
        self.frame_ms = frame_ms
        self._min_speech = max(1, min_speech_ms // frame_ms)
        self._end_silence = max(1, end_silence_ms // frame_ms)
        self._speculate = max(1, min(speculate_after_ms, end_silence_ms) // frame_ms)
        self._tail = tail_ms // frame_ms
        self._max_frames = max_turn_ms // frame_ms
        self._preroll: deque[bytes] = deque(maxlen=max(1, preroll_ms // frame_ms))
        self._frames: list[bytes] = []
        self._speaking = False
        self._speech_run = 0  # consecutive speech frames while idle
        self._silence_run = 0
        self._start = 0
        self._last_speech = 0
        self._paused = False

    @property
    def speaking(self) -> bool:
        return self._speaking

    def __call__(self, frame: AudioFrame) -> list[MediaEvent]:
        if not self._speaking:
            return self._idle(frame)
        return self._in_turn(frame)

    def _idle(self, frame: AudioFrame) -> list[MediaEvent]:
        self._preroll.append(frame.pcm)
        self._speech_run = self._speech_run + 1 if frame.is_speech else 0
        if self._speech_run < self._min_speech:
            return []
        self._speaking = True
        self._frames = list(self._preroll)
        self._start = frame.index - len(self._frames) + 1
        self._last_speech = frame.index
        self._silence_run = 0
        self._paused = False
        return [SpeechStarted(self._start, np.frombuffer(b"".join(self._frames), dtype=np.int16))]

    def _in_turn(self, frame: AudioFrame) -> list[MediaEvent]:
        self._frames.append(frame.pcm)
        events: list[MediaEvent] = []
        if frame.is_speech:
            self._last_speech = frame.index
            self._silence_run = 0
            if self._paused:
                self._paused = False
                events.append(SpeechResumed(frame.index))
        else:
            self._silence_run += 1
            if self._silence_run == self._speculate and not self._paused:
                self._paused = True
                events.append(SpeechPaused(frame.index, self._start, self._audio()))
        too_long = len(self._frames) >= self._max_frames
        if self._silence_run >= self._end_silence or too_long:
            events.append(TurnEnded(self._start, self._last_speech, self._audio(), frame.bot_playing))
            self._reset()
        return events

    def _audio(self) -> Pcm16:
        # Keep a short silence tail: Whisper ends words more reliably with one.
        keep = len(self._frames) - max(0, self._silence_run - self._tail)
        return np.frombuffer(b"".join(self._frames[:keep]), dtype=np.int16)

    def _reset(self) -> None:
        self._speaking = False
        self._frames = []
        self._speech_run = 0
        self._silence_run = 0
        self._preroll.clear()
