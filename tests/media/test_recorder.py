from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from voicebot.recording.recorder import CallRecorder


def test_recording_is_stereo_aligned_and_valid_before_close(tmp_path):
    frame = 320
    rec = CallRecorder(tmp_path, "c1", 16000, frame * 2)
    left = [np.full(frame, 1000, np.int16).tobytes()] * 50
    right = [None] * 25 + [np.full(frame, -2000, np.int16).tobytes()] * 25
    rec.add_frames(left[:30], right[:20])  # sides arrive unevenly; only aligned ticks are written
    rec.add_frames(left[30:], right[20:])
    rec.add_transcript("callee", "hello", 0.1, 0.9, 0.87)
    # Crash-safety: read the file while the recorder is still open.
    data, rate = sf.read(rec.wav_path, dtype="int16")
    assert rate == 16000 and data.shape == (50 * frame, 2)
    assert (data[:, 0] == 1000).all()
    assert (data[: 25 * frame, 1] == 0).all() and (data[25 * frame:, 1] == -2000).all()
    rec.close()
    line = json.loads(rec.transcript_path.read_text().splitlines()[0])
    assert line == {"who": "callee", "text": "hello", "start": 0.1, "end": 0.9, "confidence": 0.87}
    assert rec.wav_path.parent.name.count("-") == 2  # recordings/<date>/<call-id>.wav
