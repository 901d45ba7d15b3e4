"""One call leg as the simulated callee hears it, timed to the 20 ms clock tick.

Ticks, not wall time, give the timings: rx (what we hear) and played (what we said) both
advance one frame per conference-clock tick, so "our speech ended at tick E, bot audio
began at tick B" is exact to one frame whatever the scheduling jitter of this process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voicebot.recording.recorder import CallRecorder
from voicebot.sip.call import SipCall
from voicebot.transport.base import drain

BOT_AUDIO_RMS = 300.0  # about -40 dBFS: above G.711 idle noise, far below speech
BOT_ONSET_FRAMES = 2  # consecutive loud frames that count as the bot starting to talk


@dataclass
class Segment:
    start: int
    end: int  # last tick inclusive


@dataclass
class CallLeg:
    call: SipCall
    frame_ms: int
    record_root: Path | None = None
    tick: int = 0
    heard: list[Segment] = field(default_factory=list)  # bot speech segments (by energy)
    said: list[Segment] = field(default_factory=list)  # our own audio segments
    _loud_run: int = 0
    _quiet_run: int = 0
    _in_bot: bool = False
    _in_said: bool = False
    _rx_rest: list[bytes] = field(default_factory=list)
    _tx_rest: list[bytes | None] = field(default_factory=list)
    recorder: CallRecorder | None = None
    moved_to: SipCall | None = None  # the new call a REFER or Replaces moves us to
    heard_audio: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.record_root is not None and self.call.port is not None:
            p = self.call.port
            self.recorder = CallRecorder(self.record_root, f"callee-{self.call.uid}", p.clock_rate, p.frame_bytes)

    @property
    def port(self):
        return self.call.port

    def pump(self) -> None:
        """Consume the ticks that have happened since the last pump."""
        port = self.call.port
        if port is None:
            return
        rx = self._rx_rest + drain(port.rx)
        tx = self._tx_rest + drain(port.played)
        n = min(len(rx), len(tx))
        self._rx_rest, self._tx_rest = rx[n:], tx[n:]
        if self.recorder is not None and n:
            self.recorder.add_frames(rx[:n], tx[:n])
        for i in range(n):
            self._tick(rx[i], tx[i])

    def _tick(self, rx: bytes, tx: bytes | None) -> None:
        self.heard_audio.append(rx)
        x = np.frombuffer(rx, dtype=np.int16).astype(np.float32)
        loud = float(np.sqrt(np.dot(x, x) / max(1, len(x)))) > BOT_AUDIO_RMS
        if loud:
            self._loud_run += 1
            self._quiet_run = 0
            if not self._in_bot and self._loud_run >= BOT_ONSET_FRAMES:
                self._in_bot = True
                self.heard.append(Segment(self.tick - BOT_ONSET_FRAMES + 1, self.tick))
        else:
            self._loud_run = 0
            self._quiet_run += 1
        if self._in_bot:
            if loud:
                self.heard[-1].end = self.tick
            elif self._quiet_run > 25:  # 0.5 s gap splits two bot utterances
                self._in_bot = False
        if tx is not None:
            if not self._in_said:
                self._in_said = True
                self.said.append(Segment(self.tick, self.tick))
            self.said[-1].end = self.tick
        else:
            self._in_said = False
        self.tick += 1

    # --- questions the script asks ------------------------------------------------------
    def bot_silent_for(self) -> int:
        """Frames since the bot's audio was last heard (0 while it talks)."""
        if not self.heard:
            return self.tick
        return 0 if self._in_bot and self._quiet_run == 0 else self.tick - 1 - self.heard[-1].end

    def bot_audio_after(self, tick: int) -> Segment | None:
        for seg in self.heard:
            if seg.start > tick:
                return seg
        return None

    def speaking(self) -> bool:
        return bool(self.call.port and self.call.port.tx)

    def seconds(self, tick: int) -> float:
        return round(tick * self.frame_ms / 1000, 3)

    def heard_pcm(self) -> np.ndarray:
        return np.frombuffer(b"".join(self.heard_audio), dtype=np.int16)

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()

