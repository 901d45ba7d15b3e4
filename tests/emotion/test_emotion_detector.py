"""The detector's contract for the call session, the rolling windows, and the CLI."""

from __future__ import annotations

import json

import numpy as np
from emotion_speech import speak
from make_eval_set import Rendering

from voicebot.audio.pcm import resample, write_wav
from voicebot.cli import main
from voicebot.config import EmotionConfig, load_settings
from voicebot.emotion.detector import EmotionDetector
from voicebot.emotion.types import EmotionReading

TEXT = "I'm calling about the bill I received last week."


def test_analyze_turn_contract_at_8_and_16_khz():
    detector = EmotionDetector(EmotionConfig(baseline_turns=2))
    pcm8 = speak("en-gb", 50, 0.0, TEXT)
    first = detector.analyze_turn(pcm8, 8000, text=TEXT)
    second = detector.analyze_turn(resample(pcm8, 8000, 16000), 16000, text=TEXT)
    for i, reading in enumerate((first, second)):
        assert isinstance(reading, EmotionReading)
        assert reading.turn_index == i
        assert reading.label == "neutral"
        assert 0.0 < reading.confidence <= 1.0
        assert {"z_energy_mean_db", "z_pitch_median_st", "p_agitated", "speech_s"} <= set(reading.evidence)
    # The same audio at 16 kHz measures (nearly) the same: both are analysed in the 8 kHz phone band.
    assert abs(second.evidence["z_energy_mean_db"]) < 1.0
    assert detector.baseline.n_turns == 2


def test_windows_follow_a_turn_that_gets_louder_and_do_not_advance_the_call():
    detector = EmotionDetector(use_lexical=False)
    for text in (TEXT, "My account number ends in four five six."):
        detector.analyze_turn(speak("en-us", 45, 0.0, text), 8000)
    calm = speak("en-us", 45, 0.0, "The address on file is still the same one.")
    shout = speak("en-us", 45, 0.0, "This is the third time I have called you about it!", Rendering(38, 150, 30, 9, 40, 0))
    turn = np.concatenate([calm, shout])
    windows = detector.windows(turn, 8000)
    assert detector.turn_index == 2
    assert len(windows) >= 8
    early = [r.evidence["p_agitated"] for t, r in windows if t < len(calm) / 8000 - 1.0]
    late = [r.evidence["p_agitated"] for t, r in windows if t > len(calm) / 8000 + 0.5]
    assert max(late) > 0.5 > max(early), (early, late)


def test_cli_analyze_prints_one_json_reading_per_file(tmp_path, capsys):
    files = []
    for i, text in enumerate([TEXT, "Could you tell me when the payment is due?"]):
        path = tmp_path / f"turn{i}.wav"
        write_wav(path, speak("en-us", 45, 0.0, text), 8000)
        files.append(str(path))
    assert main(["emotion", "analyze", *files, "--text", "this is a scam, stop calling me", "--features"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["turn_index"] for row in lines] == [0, 1]
    assert lines[0]["label"] == "agitated" and "lex_agitated:scam" in lines[0]["evidence"]
    assert lines[1]["label"] == "neutral"
    assert lines[0]["features"]["speech_s"] > 1.0


def test_settings_carry_emotion_config():
    settings = load_settings()
    assert settings.emotion.enabled and settings.emotion.baseline_turns == 2
