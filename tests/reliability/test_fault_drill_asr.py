"""Issue #20 item 7: ``fault_drill.asr=hang`` raised a TypeError on first use (the session passes the
domain prompt to ``transcribe()``) and never hung. Now it forwards the prompt, hangs when told to
and fails when told to, through the same pool call the session makes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout

import numpy as np
import pytest

from voicebot.asr.base import Transcript
from voicebot.config import FaultDrillConfig
from voicebot.session import fault_drill
from voicebot.session.fault_drill import DrillRecognizer


class Echo:
    """A recogniser that says what it was asked (prompt included), like Whisper's signature."""
    name, sample_rate = "echo", 8000

    def transcribe(self, pcm: np.ndarray, language: str | None = None, prompt: str = "") -> Transcript:
        return Transcript(f"{language}|{prompt}", 1.0, language or "", len(pcm) / 8000, 0.0)


def test_the_drill_takes_the_prompt_and_forwards_it():
    drill = DrillRecognizer(Echo(), FaultDrillConfig(asr="raise", after_uses=1))
    pool = ThreadPoolExecutor(1)
    audio = np.zeros(800, dtype=np.int16)
    assert pool.submit(drill.transcribe, audio, "zh", "宽带 套餐").result(5).text == "zh|宽带 套餐"
    with pytest.raises(RuntimeError, match="fault drill"):
        pool.submit(drill.transcribe, audio, "zh", "宽带").result(5)


def test_hang_hangs_until_released():
    fault_drill._released.clear()
    drill = DrillRecognizer(Echo(), FaultDrillConfig(asr="hang", after_uses=0))
    pool = ThreadPoolExecutor(1)
    future = pool.submit(drill.transcribe, np.zeros(800, dtype=np.int16), "zh", "宽带")
    with pytest.raises(FutureTimeout):
        future.result(1.0)  # hung, not a TypeError
    fault_drill.release_hung()
    with pytest.raises(RuntimeError, match="fault drill"):
        future.result(5)
    fault_drill._released.clear()
