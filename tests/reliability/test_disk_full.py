"""A disk that fills up mid-call: the recorder stops, says why, and keeps what it wrote readable."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import soundfile as sf

from voicebot.recording.recorder import CallRecorder

FRAME = 320  # 20 ms at 8 kHz, 16-bit


@pytest.fixture
def small_disk(tmp_path):
    """A 96 KiB tmpfs: room for about 3 s of stereo call audio."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_recorder_survives_a_full_disk_and_keeps_a_valid_file(small_disk):
    rec = CallRecorder(small_disk, "full-call", 8000, FRAME)
    rec.add_transcript("callee", "喂，你好，我想问一下价格", 0.0, 1.2, 0.9)
    tone = (np.sin(np.arange(160) / 3) * 8000).astype(np.int16).tobytes()
    for _ in range(50 * 10):  # 10 s of audio, far more than fits
        rec.add_frames([tone], [tone])  # never raises
    assert rec.error is not None and "No space left" in rec.error, rec.error
    rec.add_transcript("bot", "好的", 9.0, 9.5)  # also ignored quietly now
    rec.close()
    audio, rate = sf.read(rec.wav_path, dtype="int16")
    assert rate == 8000 and audio.shape[1] == 2
    assert 0.5 < len(audio) / rate < 3.5  # what fitted, as a valid WAV
    first = json.loads(rec.transcript_path.read_text(encoding="utf-8").splitlines()[0])
    assert first["text"] == "喂，你好，我想问一下价格"
