"""Prosodic features on signals whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from voicebot.emotion.features import extract_features, window_features


def tone(freq: float, rate: int, seconds: float = 2.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)


def harmonics_without_fundamental(f0: float, rate: int, seconds: float = 2.0) -> np.ndarray:
    """What a phone line leaves of a low voice: harmonics 3..20 only (nothing below 300 Hz)."""
    t = np.arange(int(rate * seconds)) / rate
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(3, 21) if k * f0 < rate / 2 - 200)
    return (0.3 * x / np.abs(x).max() * 32767).astype(np.int16)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_pitch_of_a_200_hz_tone(rate):
    f = extract_features(tone(200.0, rate), rate)
    assert f.pitch_median_hz == pytest.approx(200.0, rel=0.02)
    assert f.pitch_range_st < 0.5  # a steady tone has no intonation
    assert f.voiced_ratio > 0.9


def test_pitch_of_a_low_voice_whose_fundamental_the_phone_band_removed():
    f = extract_features(harmonics_without_fundamental(110.0, 8000), 8000)
    assert f.pitch_median_hz == pytest.approx(110.0, rel=0.03)


def test_louder_reads_higher_rms_by_the_gain():
    quiet = extract_features(tone(200.0, 8000, amplitude=0.05), 8000)
    loud = extract_features(tone(200.0, 8000, amplitude=0.2), 8000)
    assert loud.energy_mean_db - quiet.energy_mean_db == pytest.approx(20 * np.log10(4), abs=0.3)
    assert loud.energy_mean_db == pytest.approx(20 * np.log10(0.2 / np.sqrt(2)), abs=0.5)


def test_white_noise_is_mostly_unvoiced_and_bright():
    noise = (np.random.default_rng(1).normal(0, 0.1, 16000) * 32767).astype(np.int16)
    f = extract_features(noise, 8000)
    assert f.voiced_ratio < 0.2
    assert f.centroid_hz > 1500
    assert f.tilt_db > 0  # more energy above 1 kHz than below


def test_syllable_rate_and_pauses_of_a_pulsed_vowel():
    """A 150 Hz buzz switched on/off 4 times a second, then a silent second: 4 syllables/s, pauses."""
    rate = 8000
    buzz = harmonics_without_fundamental(150.0, rate, 3.0).astype(np.float64)
    t = np.arange(len(buzz)) / rate
    gate = (np.sin(2 * np.pi * 4.0 * t) > 0).astype(float)
    gate[(t > 1.0) & (t < 2.0)] = 0.0  # one second of silence inside the turn
    pcm = (buzz * gate).astype(np.int16)
    f = extract_features(pcm, rate)
    assert f.speech_rate_hz == pytest.approx(4.0, rel=0.2)  # 125 ms gaps are not pauses
    assert f.pause_ratio == pytest.approx(1.1 / 2.9, abs=0.08)  # only the silent second (+ edges) is


def test_rolling_windows_cover_the_speech():
    pcm = tone(180.0, 8000, seconds=3.0)
    wins = window_features(pcm, 8000)
    assert [round(t, 1) for t, _ in wins] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert all(f.pitch_median_hz == pytest.approx(180.0, rel=0.02) for _, f in wins)


def test_silence_and_tiny_input_do_not_crash():
    f = extract_features(np.zeros(8000, dtype=np.int16), 8000)
    assert f.speech_s == 0.0 and f.pitch_median_st == 0.0
    f = extract_features(np.zeros(10, dtype=np.int16), 8000)
    assert f.speech_s == 0.0
