"""The bot's mouth on one call: renders lines sentence by sentence into the call's playout queue."""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from voicebot.logs import get_logger
from voicebot.media.frames import Pcm16
from voicebot.transport.base import MediaPort

# Yields int16 chunks at the port's clock rate, first sentence first.
RenderStream = Callable[[str, str], Iterator[Pcm16]]


@dataclass
class SpokenLine:
    text: str
    queued_at: float  # wall time the line was handed to the speaker
    first_audio_at: float | None = None  # wall time its first frame was queued for playout
    frames: int = 0  # frames queued for playout (after an interruption: frames actually played)
    end_pos: int = 0  # speaker's running frame position after this line's last frame
    interrupted: bool = False
    # For replies to a callee turn: when their speech ended, and what recognition cost.
    ended_speech_at: float | None = None
    asr_ms: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)


class BotSpeaker:
    """Lines play in order. ``interrupt()`` stops playout at the next clock tick and drops queued lines."""

    def __init__(self, port: MediaPort, render: RenderStream, locale: str, pool: Executor, call_id: str,
                 wake: Callable[[], None] | None = None) -> None:
        self._port = port
        # Called (render thread) when a line finished rendering, the queue ran out, or synthesis
        # failed: the session's inbox. Playout running dry is the port's to report.
        self._wake = wake or (lambda: None)
        self._render = render
        self._locale = locale
        self._pool = pool
        self._lines: deque[SpokenLine] = deque()
        self._current: SpokenLine | None = None
        self._rendering = False
        self._generation = 0  # bumped by interrupt(); a render for an older generation stops
        self._queued_total = 0  # frames ever queued (minus those dropped by interruptions)
        self._recent: deque[SpokenLine] = deque(maxlen=8)  # lines that may still be playing
        # Times the playout queue ran dry in the middle of a line (the next sentence was not
        # rendered in time): the caller hears a gap inside the bot's sentence.
        self.underruns = 0
        self._lock = threading.Lock()
        self._progress_at = time.time()  # last time synthesis handed over audio (or a render began)
        self.failure: Exception | None = None  # the synthesiser raised: the session's emergency plan
        self.log = get_logger("voicebot.speaker", call_id=call_id)

    @property
    def speaking(self) -> bool:
        return self._rendering or bool(self._lines) or len(self._port.tx) > 0

    def say(self, text: str) -> SpokenLine:
        line = SpokenLine(text, time.time())
        with self._lock:
            self._lines.append(line)
            start = not self._rendering
            if start:
                self._rendering = True
                self._progress_at = time.time()
        if start:
            self._pool.submit(self._render_queue, self._generation)
        return line

    def interrupt(self) -> list[SpokenLine]:
        """Returns the lines cut short: the one playing, one still rendering, any queued."""
        with self._lock:
            self._generation += 1
            dropped = self._port.stop_playout()
            played_to = self._queued_total - dropped
            cut = [ln for ln in self._recent if ln.end_pos > played_to]
            for line in cut:
                line.frames = max(0, line.frames - (line.end_pos - played_to))
            if self._current is not None and self._current not in cut:
                cut.append(self._current)
            cut += list(self._lines)
            self._lines.clear()
            self._queued_total = played_to
            # The old render stops at its next chunk (or never, if synthesis hangs): either way the
            # next line starts a render of its own.
            self._rendering = False
            self._current = None
        for line in cut:
            line.interrupted = True
            line.done.set()
        return cut

    def stalled_s(self) -> float:
        """How long synthesis has owed audio while nothing was left to play (a hung synthesiser)."""
        since = self.stalled_since()
        return 0.0 if since is None else time.time() - since

    def stalled_since(self) -> float | None:
        """Wall time synthesis last handed over audio, while it owes some and nothing is left to
        play; None when it owes nothing or audio is still playing."""
        with self._lock:
            if not self._rendering or len(self._port.tx) > 0:
                return None
            return self._progress_at

    def _render_queue(self, generation: int) -> None:
        try:
            while True:
                with self._lock:
                    if generation != self._generation:
                        return  # interrupted: interrupt() reset the state, a newer render may own it
                    if not self._lines:
                        self._rendering = False
                        self._current = None
                        self._wake()
                        return
                    line = self._current = self._lines.popleft()
                self._render_line(line, generation)
        except Exception as exc:
            self.log.exception("tts_failed")
            with self._lock:
                if generation == self._generation:
                    self.failure = exc
                    self._rendering = False
                    if self._current is not None:
                        self._current.interrupted = True
                        self._current.done.set()
                    self._current = None
            self._wake()

    def _render_line(self, line: SpokenLine, generation: int) -> None:
        first = first_chunk = True
        for chunk in self._render(line.text, self._locale):
            if first:
                chunk, first = trim_leading_silence(chunk), False
            with self._lock:
                if generation != self._generation:
                    return
                if not first_chunk and len(self._port.tx) == 0:
                    self.underruns += 1
                first_chunk = False
                n = self._port.enqueue_audio(chunk.tobytes())
                self._progress_at = time.time()
                line.frames += n
                self._queued_total += n
                line.end_pos = self._queued_total
                if line.first_audio_at is None:
                    line.first_audio_at = time.time()
                    self._recent.append(line)
        line.done.set()
        self._wake()

    def playout_remaining_s(self) -> float:
        return len(self._port.tx) * self._port.frame_ms / 1000


def trim_leading_silence(pcm: Pcm16, threshold: float = 200.0, keep: int = 80) -> Pcm16:
    """Synthesisers start lines with 50-70 ms of silence: every ms of it is reply latency."""
    loud = np.nonzero(np.abs(pcm) > threshold)[0]
    if len(loud) == 0:
        return pcm
    return pcm[max(0, loud[0] - keep):]
