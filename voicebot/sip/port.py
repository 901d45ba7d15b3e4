"""The per-call media bridge: a pjsua2 ``AudioMediaPort`` whose callbacks only move bytes.

Both callbacks run on pjmedia's clock thread every frame for every call. They must not
block: no model call, no I/O, no lock. ``collections.deque`` append/popleft are atomic
under the GIL, so the call session exchanges frames with them without locks.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

import pjsua2 as pj

from voicebot.sip.fastbuf import FrameWriter, read_frame
from voicebot.transport.base import PlayoutQueue, drain  # noqa: F401 (drain re-exported)

# A callback slower than this counts as an overrun (the frame period is 20 ms; we aim for < 100 µs).
OVERRUN_NS = 1_000_000
HIST_NS = 10_000
HIST_BUCKETS = 100


class CallAudioPort(pj.AudioMediaPort, PlayoutQueue):
    def __init__(self, clock_rate: int, frame_ms: int = 20) -> None:
        super().__init__()
        self.clock_rate = clock_rate
        self.frame_ms = frame_ms
        self.frame_bytes = clock_rate * frame_ms // 1000 * 2
        self._silence = b"\x00" * self.frame_bytes
        self._writer = FrameWriter(self.frame_bytes)
        self.rx: deque[bytes] = deque(maxlen=3000)  # callee -> bot; bounded: a stalled session can't eat RAM
        self.tx: deque[bytes] = deque()  # bot -> callee, one frame_bytes element per frame
        self.played: deque[bytes | None] = deque(maxlen=3000)  # what went out each tick (None = silence)
        self.wake: Callable[[], None] | None = None  # the session's inbox (MediaPort.wake)
        self._reset_counters()

    def reset(self) -> None:
        """Ready for another call. Ports are recycled, never destroyed while the library runs: since
        pjsua 2.14 the bridge removes a port at its next tick, so a deleted port could still be called."""
        self.rx.clear()
        self.tx.clear()
        self.played.clear()
        self.wake = None  # a recycled port must not wake the previous call's session
        self._reset_counters()

    def _reset_counters(self) -> None:
        self.frames_in = 0
        self.frames_out = 0
        self.callback_ns = 0
        self.callback_max_ns = 0
        self.overruns = 0
        self.histogram = [0] * (HIST_BUCKETS + 1)
        # Gaps between clock ticks as seen here: > frame_ms means the media clock was held up
        # (GIL or CPU starvation) and frames then leave in a burst, which grows the far end's
        # jitter buffer: that is reply latency too.
        self._last_tick_ns = 0
        self.late_ticks = 0  # ticks that came more than one frame late
        self.max_tick_gap_ms = 0.0  # callback durations in HIST_NS buckets; last = beyond

    def create(self, name: str) -> None:
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, self.clock_rate, 1, self.frame_ms * 1000, 16)
        self.createPort(name, fmt)

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:  # noqa: N802 (pjsua2 name)
        t0 = time.perf_counter_ns()
        data = read_frame(frame)
        try:
            self.rx.append(data if data is not None and len(data) == self.frame_bytes else self._silence)
        except AttributeError:  # this port is being destroyed: the bridge ticked once more
            return
        self.frames_in += 1
        # The session reacts to this frame now (one wake-up a tick: the played frame goes with it;
        # if the bridge asks for it after delivering this one, it is drained a tick later, with the
        # next callee frame, which the listener's echo tail covers).
        wake = self.wake
        if wake is not None:
            wake()
        self._account(t0)

    def onFrameRequested(self, frame: pj.MediaFrame) -> None:  # noqa: N802
        t0 = time.perf_counter_ns()
        if self._last_tick_ns:
            gap = t0 - self._last_tick_ns
            if gap > 2 * self.frame_ms * 1_000_000:
                self.late_ticks += 1
                self.max_tick_gap_ms = max(self.max_tick_gap_ms, gap / 1e6)
        self._last_tick_ns = t0
        try:
            data = self.tx.popleft()
        except IndexError:
            data = None
        except AttributeError:  # being destroyed (see onFrameReceived)
            return
        if data is None:
            self._writer.write_silence(frame)
        else:
            self._writer.write(frame, data)
        self.played.append(data)
        if data is not None and not self.tx:
            wake = self.wake  # the bot's line has all gone out: the session waits for that
            if wake is not None:
                wake()
        self.frames_out += 1
        self._account(t0)

    def _account(self, t0: int) -> None:
        # Cost accounting is part of the hot path too: three integer updates, no lock.
        dt = time.perf_counter_ns() - t0
        self.callback_ns += dt
        self.histogram[min(dt // HIST_NS, HIST_BUCKETS)] += 1
        if dt > self.callback_max_ns:
            self.callback_max_ns = dt
        if dt > OVERRUN_NS:
            self.overruns += 1

    # --- used by the session thread -------------------------------------------------
    def callback_stats(self) -> dict[str, float]:
        """Mean/p50/p99/max callback cost in µs (percentiles at 10 µs resolution)."""
        total = sum(self.histogram)
        out = {"frames": total, "mean_us": round(self.mean_callback_us, 1),
               "max_us": round(self.callback_max_ns / 1000, 1), "overruns": self.overruns,
               "late_ticks": self.late_ticks, "max_tick_gap_ms": round(self.max_tick_gap_ms, 1)}
        for name, q in (("p50_us", 0.5), ("p99_us", 0.99)):
            seen = 0
            for bucket, count in enumerate(self.histogram):
                seen += count
                if total and seen >= q * total:
                    out[name] = (bucket + 1) * HIST_NS / 1000
                    break
        return out

    @property
    def mean_callback_us(self) -> float:
        calls = self.frames_in + self.frames_out
        return self.callback_ns / calls / 1000 if calls else 0.0
