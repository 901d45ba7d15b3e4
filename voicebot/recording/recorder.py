"""Call recording: a stereo WAV (callee left, bot right) and a JSONL transcript, written as the call goes.

The WAV header's sizes are rewritten after every append, so a crash leaves a valid file
holding everything up to the last write. Both channels advance by frame count, one frame
per clock tick each, so they stay time-aligned.
"""

from __future__ import annotations

import json
import os
import struct
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from voicebot.masking import mask_text


def recording_paths(root: Path, call_id: str, when: datetime | None = None) -> tuple[Path, Path]:
    day = (when or datetime.now(timezone.utc)).strftime("%Y-%m-%d")
    base = Path(root) / day / call_id
    return base.with_suffix(".wav"), base.with_suffix(".jsonl")


# Recordings hold personal data: owner reads and writes, the console's group reads, others
# nothing, whatever the process umask says.
FILE_MODE = 0o640
DIR_MODE = 0o750


def make_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)


def open_private(path: Path, mode: str, encoding: str | None = None, **kwargs):
    """``open()`` for files with personal data: created (or truncated) as 0640 from the start.
    ``kwargs``: newline / errors, as for ``open()``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode, encoding=encoding, **kwargs)


class StreamingWavWriter:
    """PCM16 WAV appended in place; the header is kept valid at every flush."""

    def __init__(self, path: Path, sample_rate: int, channels: int) -> None:
        self.path = path
        make_private_dir(path.parent)
        self._f = open_private(path, "wb")
        self._rate = sample_rate
        self._channels = channels
        self._data_bytes = 0
        self._f.write(self._header(0))
        self._f.flush()

    def _header(self, data_bytes: int) -> bytes:
        block = self._channels * 2
        return b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " + struct.pack(
            "<IHHIIHH", 16, 1, self._channels, self._rate, self._rate * block, block, 16
        ) + b"data" + struct.pack("<I", data_bytes)

    def append(self, interleaved: bytes) -> None:
        if not interleaved:
            return
        self._f.write(interleaved)
        self._data_bytes += len(interleaved)
        end = self._f.tell()
        self._f.seek(4)
        self._f.write(struct.pack("<I", 36 + self._data_bytes))
        self._f.seek(40)
        self._f.write(struct.pack("<I", self._data_bytes))
        self._f.seek(end)
        self._f.flush()

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()

    @property
    def seconds(self) -> float:
        return self._data_bytes / (self._rate * self._channels * 2)


class CallRecorder:
    """A failed write (disk full, disk gone) never ends the call: recording stops, ``error`` says
    why, and what was written before stays a valid file."""

    def __init__(self, root: Path, call_id: str, sample_rate: int, frame_bytes: int,
                 mask_numbers: bool = False, raw_key: Any = None) -> None:
        """``raw_key``: a Fernet (voicebot.recording.raw_vault) to keep the unmasked lines encrypted too."""
        self.wav_path, self.transcript_path = recording_paths(root, call_id)
        self.error: str | None = None
        self._wav = StreamingWavWriter(self.wav_path, sample_rate, 2)
        self._transcript = open_private(self.transcript_path, "a", encoding="utf-8")
        self._raw_key = raw_key if mask_numbers else None  # unmasked transcripts need no second copy
        self._raw = None
        if self._raw_key is not None:
            from voicebot.recording.raw_vault import raw_path

            self._raw = open_private(raw_path(self.transcript_path), "ab")
        self._mask_numbers = mask_numbers  # recording.mask_transcripts
        self._silence = b"\x00" * frame_bytes
        self._left: list[bytes] = []
        self._right: list[bytes] = []

    def _failed(self, what: str, exc: OSError) -> None:
        if self.error is None:
            self.error = f"{what}: {exc.strerror or exc}"
        self._left.clear()
        self._right.clear()

    def add_frames(self, callee: list[bytes], bot: list[bytes | None]) -> None:
        """Queue one batch of ticks from each direction; writes the aligned prefix."""
        if self.error is not None:
            return
        try:
            self._add_frames(callee, bot)
        except OSError as exc:
            self._failed(f"writing {self.wav_path.name}", exc)

    def _add_frames(self, callee: list[bytes], bot: list[bytes | None]) -> None:
        self._left.extend(callee)
        self._right.extend(b if b is not None else self._silence for b in bot)
        n = min(len(self._left), len(self._right))
        if n == 0:
            return
        left = np.frombuffer(b"".join(self._left[:n]), dtype=np.int16)
        right = np.frombuffer(b"".join(self._right[:n]), dtype=np.int16)
        del self._left[:n], self._right[:n]
        stereo = np.empty(len(left) * 2, dtype=np.int16)
        stereo[0::2], stereo[1::2] = left, right
        self._wav.append(stereo.tobytes())

    def add_transcript(self, who: str, text: str, start_s: float, end_s: float,
                       confidence: float | None = None, **extra: Any) -> None:
        line = {"who": who, "text": text, "start": round(start_s, 3), "end": round(end_s, 3)}
        if confidence is not None:
            line["confidence"] = round(confidence, 3)
        line.update(extra)
        try:
            if self._raw is not None:
                from voicebot.recording.raw_vault import encrypt_line

                self._raw.write(encrypt_line(self._raw_key, line))
                self._raw.flush()
            if self._mask_numbers:
                line["text"] = mask_text(text)
            self._transcript.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._transcript.flush()
        except OSError as exc:
            self._failed(f"writing {self.transcript_path.name}", exc)

    def close(self) -> None:
        # Flush whatever one side has beyond the other, padded with silence.
        n = max(len(self._left), len(self._right))
        self.add_frames([self._silence] * (n - len(self._left)), [None] * (n - len(self._right)))
        for f in (self._wav, self._transcript, *([self._raw] if self._raw is not None else [])):
            try:
                f.close()
            except OSError as exc:  # the last buffered bytes had nowhere to go
                self._failed("closing the recording", exc)

    @property
    def seconds(self) -> float:
        return self._wav.seconds
