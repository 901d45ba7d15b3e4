"""An in-process phone line: the conversation core without SIP, RTP or a second process.

``MemorySwitch`` is the ``CallControl`` and ``MemoryCall`` the ``CallLeg``; each call's far end is
a ``MemoryPhone`` that a test drives: it speaks int16 audio, presses keys, hangs up, and keeps
everything it heard. A clock thread per call moves one frame each way per tick, as pjmedia's
conference bridge does for a SIP call, so the session, its listener and its speaker run exactly
as they do on a phone line. ``speed`` > 1 runs the clock faster than real time: the core counts
frames, not seconds, for turn-taking, so a 10 s exchange takes 2.5 s at speed 4. ``speed`` 0 runs
no clock: the test moves it, a ``MemoryCall.tick()`` at a time.

What it leaves out is what only SIP can show: codecs, jitter, NAT, REFER on the wire.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import Callable, Literal

import numpy as np
import numpy.typing as npt

from voicebot.transport.base import CallSignal, PlayoutQueue, SignalQueue, split_frames


class MemoryPort(PlayoutQueue):
    """The pure-Python twin of the SIP media port: the same three queues, moved by ``tick``."""

    def __init__(self, clock_rate: int = 16000, frame_ms: int = 20) -> None:
        self.clock_rate, self.frame_ms = clock_rate, frame_ms
        self.frame_bytes = clock_rate * frame_ms // 1000 * 2
        self.rx: deque[bytes] = deque(maxlen=3000)
        self.tx: deque[bytes] = deque()
        self.played: deque[bytes | None] = deque(maxlen=3000)
        self.frames_in = self.frames_out = 0
        self.wake: Callable[[], None] | None = None  # the session's inbox (MediaPort.wake)

    def tick(self, callee_frame: bytes | None) -> bytes | None:
        """One clock period: the callee's frame in, the bot's frame (or None: silence) out."""
        self.rx.append(callee_frame if callee_frame is not None else b"\x00" * self.frame_bytes)
        self.frames_in += 1
        try:
            out = self.tx.popleft()
        except IndexError:
            out = None
        self.played.append(out)
        self.frames_out += 1
        # One wake-up a tick, after both frames: the session reads the pair together, and sees a
        # playout that ran dry on this tick as well.
        wake = self.wake
        if wake is not None:
            wake()
        return out

    def callback_stats(self) -> dict[str, float]:
        return {"frames": self.frames_in + self.frames_out}


class MemoryPhone:
    """The far end of a memory call, driven by a test (any thread)."""

    def __init__(self, uri: str, answer: bool = True, reject_with: int = 0) -> None:
        self.uri, self.answer, self.reject_with = uri, answer, reject_with
        self.call: MemoryCall | None = None
        self.heard_frames: list[bytes | None] = []
        self.dtmf_received: list[str] = []
        self._outgoing: deque[bytes] = deque()
        self.transferred_to: str | None = None

    def say(self, pcm: npt.NDArray[np.int16]) -> float:
        """Queue speech (int16 at the call's clock rate); returns its length in seconds."""
        port = self._port()
        self._outgoing.extend(split_frames(np.asarray(pcm, dtype=np.int16).tobytes(), port.frame_bytes))
        return len(pcm) / port.clock_rate

    @property
    def speaking(self) -> bool:
        return bool(self._outgoing)

    def press(self, digit: str) -> None:
        self._call().signals.put(CallSignal("dtmf", {"digit": digit, "method": "rfc2833"}))

    def hang_up(self) -> None:
        self._call().end(200, "Normal call clearing", "remote")

    def heard(self) -> npt.NDArray[np.int16]:
        """Everything the bot played to this phone, silence included, as int16."""
        port = self._port()
        silence = b"\x00" * port.frame_bytes
        return np.frombuffer(b"".join(f or silence for f in self.heard_frames), dtype=np.int16)

    def heard_speech_s(self) -> float:
        return sum(1 for f in self.heard_frames if f is not None) * self._port().frame_ms / 1000

    def next_frame(self) -> bytes | None:
        try:
            return self._outgoing.popleft()
        except IndexError:
            return None

    def _call(self) -> MemoryCall:
        if self.call is None:
            raise RuntimeError(f"{self.uri} has no call")
        return self.call

    def _port(self) -> MemoryPort:
        port = self._call().port
        if port is None:
            raise RuntimeError(f"{self.uri}: the call has no media yet")
        return port


class MemoryCall:
    def __init__(self, switch: MemorySwitch, phone: MemoryPhone,
                 direction: Literal["inbound", "outbound"]) -> None:
        self.switch, self.phone, self.direction = switch, phone, direction
        self.uid = uuid.uuid4().hex[:12]
        self.signals = SignalQueue()
        self.port: MemoryPort | None = None
        self.remote_uri = phone.uri
        self.codec = f"L16/{switch.clock_rate}"
        self.answered = self.ended = False
        self.last_stream_stats: dict[str, float] = {}
        self.hung_up_by = ""
        phone.call = self

    def connect(self) -> None:
        """Both sides answered: media flows from now on."""
        self.port = MemoryPort(self.switch.clock_rate, self.switch.frame_ms)
        self.answered = True
        self.signals.put(CallSignal("answered"))
        self.signals.put(CallSignal("media_ready", {"codec": self.codec}))
        if self.switch.speed > 0:
            threading.Thread(target=self._clock, name=f"memclock-{self.uid}", daemon=True).start()

    def end(self, code: int, reason: str, hung_up_by: str) -> None:
        if self.ended:
            return
        self.ended, self.hung_up_by = True, hung_up_by
        self.signals.put(CallSignal("ended", {"code": code, "reason": reason, "answered": self.answered,
                                              "hung_up_by": hung_up_by}))

    def tick(self) -> None:
        """One clock period: the phone's next frame to the bot, the bot's frame to the phone."""
        assert self.port is not None  # connected
        self.phone.heard_frames.append(self.port.tick(self.phone.next_frame()))

    def _clock(self) -> None:
        period = self.switch.frame_ms / 1000 / self.switch.speed
        next_at = time.monotonic()
        while not self.ended:
            self.tick()
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))


class MemorySwitch:
    """``CallControl`` for memory calls, and the directory of phones reachable by URI."""

    def __init__(self, clock_rate: int = 16000, frame_ms: int = 20, speed: float = 1.0) -> None:
        self.clock_rate, self.frame_ms, self.speed = clock_rate, frame_ms, speed
        self.phones: dict[str, MemoryPhone] = {}
        self.transfers: list[tuple[str, str]] = []  # (call uid, target)
        self.bridges: list[tuple[str, str]] = []

    def add_phone(self, uri: str, answer: bool = True, reject_with: int = 0) -> MemoryPhone:
        phone = self.phones[uri] = MemoryPhone(uri, answer, reject_with)
        return phone

    def incoming(self, phone: MemoryPhone) -> MemoryCall:
        """A call from ``phone`` to the bot; the bot's ``answer`` connects it."""
        return MemoryCall(self, phone, "inbound")

    # --- CallControl ---------------------------------------------------------------
    def answer(self, call: MemoryCall, code: int = 200) -> None:
        if code >= 300:
            call.end(code, "rejected", "bot")
        elif not call.answered:
            call.connect()

    def hangup(self, call: MemoryCall, code: int = 200, reason: str = "bot") -> None:
        call.end(code, "Normal call clearing", reason)

    def make_call(self, uri: str, headers: dict[str, str] | None = None) -> MemoryCall:
        phone = self.phones.get(uri)
        call = MemoryCall(self, phone or MemoryPhone(uri, answer=False), "outbound")
        if phone is None:
            call.end(404, "Not Found", "remote")
        elif phone.reject_with:
            call.end(phone.reject_with, "rejected", "remote")
        elif phone.answer:
            call.signals.put(CallSignal("ringing", {"code": 180}))
            call.connect()
        return call

    def blind_transfer(self, call: MemoryCall, target_uri: str) -> None:
        self._refer(call, target_uri)

    def attended_transfer(self, call: MemoryCall, consult: MemoryCall) -> None:
        self._refer(call, consult.remote_uri)
        consult.end(200, "Replaced", "remote")

    def _refer(self, call: MemoryCall, target_uri: str) -> None:
        self.transfers.append((call.uid, target_uri))
        call.signals.put(CallSignal("transfer_status", {"code": 100, "final": False, "reason": "Trying"}))
        if target_uri in self.phones and self.phones[target_uri].answer:
            call.phone.transferred_to = target_uri
            status = {"code": 200, "final": True, "reason": "OK"}
        else:
            status = {"code": 404, "final": True, "reason": "Not Found"}
        call.signals.put(CallSignal("transfer_status", status))

    def connect_audio(self, a: MemoryCall, b: MemoryCall) -> None:
        self.bridges.append((a.uid, b.uid))

    def send_dtmf(self, call: MemoryCall, digits: str, method: str | None = None) -> None:
        call.phone.dtmf_received.extend(digits)
