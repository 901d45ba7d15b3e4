"""Live listening, bot side: when (and only when) someone listens to a call, its mixed audio goes
to Redis pub/sub channel ``voicebot:audio:<call_id>`` (int16 mono at ``listen_rate``).

A listener (the console) announces itself with the key ``voicebot:listen:<call_id>`` and a short
TTL, refreshed while it listens. The session thread pays one attribute read per pump when nobody
listens, and one ``put_nowait`` of the frame lists it already holds when someone does; the Redis
checks, mixing, resampling and publishing run on this module's own thread.
"""

from __future__ import annotations

import queue
import threading
import time

import numpy as np
import redis
import soxr

from voicebot.logs import get_logger

_log = get_logger("voicebot.supervisor.audio_tap")


def listen_key(call_id: str) -> str:
    return f"voicebot:listen:{call_id}"


def audio_channel(call_id: str) -> str:
    return f"voicebot:audio:{call_id}"


class CallTap:
    """One call's tap, held by its session. ``feed`` runs on the session thread: it never blocks."""

    def __init__(self, taps: "ListenTaps", call_id: str, clock_rate: int) -> None:
        self.taps, self.call_id, self.clock_rate = taps, call_id, clock_rate
        self.active = False  # set by the publisher thread when a listener key exists
        self._callee: list[bytes] = []
        self._bot: list[bytes | None] = []
        self._resampler: soxr.ResampleStream | None = None

    def feed(self, callee: list[bytes], bot: list[bytes | None]) -> None:
        if not self.active or not (callee or bot):
            return
        try:
            self.taps.jobs.put_nowait((self, callee, bot))
        except queue.Full:
            self.taps.dropped += 1  # listening is best effort; the call never waits for it

    def close(self) -> None:
        self.taps.close_tap(self)

    # --- publisher thread -------------------------------------------------------------
    def mix(self, callee: list[bytes], bot: list[bytes | None], out_rate: int) -> bytes:
        """Both directions summed, time-aligned frame by frame (as the recorder aligns them)."""
        self._callee.extend(callee)
        self._bot.extend(bot)
        n = min(len(self._callee), len(self._bot))
        if n == 0:
            return b""
        frame_bytes = len(self._callee[0])
        silence = b"\x00" * frame_bytes
        left = np.frombuffer(b"".join(self._callee[:n]), dtype=np.int16).astype(np.int32)
        right = np.frombuffer(b"".join(b if b is not None else silence for b in self._bot[:n]),
                              dtype=np.int16).astype(np.int32)
        del self._callee[:n], self._bot[:n]
        mixed = np.clip(left + right, -32768, 32767).astype(np.int16)
        if out_rate != self.clock_rate:
            if self._resampler is None:
                self._resampler = soxr.ResampleStream(self.clock_rate, out_rate, 1, dtype="int16")
            mixed = self._resampler.resample_chunk(mixed)
        return mixed.tobytes()


class ListenTaps:
    """One per bot process: the open taps, the listener checks, and the publisher thread."""

    def __init__(self, client: redis.Redis, out_rate: int = 8000, check_every_s: float = 0.25,
                 buffer: int = 500) -> None:
        self.client, self.out_rate, self.check_every_s = client, out_rate, check_every_s
        self.jobs: queue.Queue = queue.Queue(maxsize=buffer)
        self.dropped = 0
        self.errors = 0
        self.published_bytes = 0
        self._taps: dict[str, CallTap] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listen-taps", daemon=True)
        self._thread.start()

    def open(self, call_id: str, clock_rate: int) -> CallTap:
        tap = CallTap(self, call_id, clock_rate)
        with self._lock:
            self._taps[call_id] = tap
        return tap

    def close_tap(self, tap: CallTap) -> None:
        tap.active = False
        with self._lock:
            self._taps.pop(tap.call_id, None)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        next_check = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_check:
                next_check = now + self.check_every_s
                self._check_listeners()
            try:
                tap, callee, bot = self.jobs.get(timeout=max(0.0, min(0.05, next_check - time.monotonic())))
            except queue.Empty:
                continue
            try:
                pcm = tap.mix(callee, bot, self.out_rate)
                if pcm and tap.active:
                    self.client.publish(audio_channel(tap.call_id), pcm)
                    self.published_bytes += len(pcm)
            except (redis.RedisError, OSError) as exc:
                self._error(exc)
            except Exception:  # never let one odd batch stop listening for every call
                _log.exception("listen_tap_failed", call_id=tap.call_id)

    def _check_listeners(self) -> None:
        with self._lock:
            taps = list(self._taps.values())
        if not taps:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for tap in taps:
                pipe.exists(listen_key(tap.call_id))
            for tap, listening in zip(taps, pipe.execute()):
                if bool(listening) != tap.active:
                    _log.info("listen_started" if listening else "listen_stopped", call_id=tap.call_id)
                tap.active = bool(listening)
        except (redis.RedisError, OSError) as exc:
            self._error(exc)

    def _error(self, exc: Exception) -> None:
        self.errors += 1
        if self.errors == 1 or self.errors % 100 == 0:
            _log.warning("listen_tap_redis_error", error=str(exc), errors=self.errors)
