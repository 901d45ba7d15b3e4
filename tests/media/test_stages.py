"""Turn-taking stages on real recorded speech (Debian pocketsphinx-testdata), 16 kHz, 20 ms frames."""

from __future__ import annotations

import numpy as np
import pytest

from voicebot.audio.pcm import read_wav
from voicebot.media.barge_in import BargeInDetector
from voicebot.media.end_of_turn import EndOfTurnDetector
from voicebot.media.frames import AudioFrame, BargeIn, SpeechPaused, SpeechResumed, SpeechStarted, TurnEnded
from voicebot.media.vad import VoiceActivityDetector

RATE = 16000
FRAME = RATE // 50
SPEECH = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"


def frames_of(pcm: np.ndarray, bot_playing: bool = False, bot_rms: float = 0.0) -> list[AudioFrame]:
    n = len(pcm) // FRAME
    return [AudioFrame(pcm[i * FRAME:(i + 1) * FRAME].tobytes(), i, bot_rms, bot_playing) for i in range(n)]


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    pcm, _ = read_wav(SPEECH, RATE)
    return pcm


def silence(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.normal(0, 20, int(RATE * seconds))).astype(np.int16)  # line hiss, well below speech


def test_vad_separates_speech_from_line_noise(speech):
    vad = VoiceActivityDetector(RATE, 2)
    speech_share = np.mean([vad(f).is_speech for f in frames_of(speech)])
    noise_share = np.mean([vad(f).is_speech for f in frames_of(silence(2.0))])
    assert speech_share > 0.6
    assert noise_share == 0.0


def test_end_of_turn_emits_start_pause_and_end_with_the_audio(speech):
    vad = VoiceActivityDetector(RATE, 2)
    eot = EndOfTurnDetector(min_speech_ms=120, end_silence_ms=400, speculate_after_ms=160)
    pcm = np.concatenate([silence(0.5), speech, silence(1.0)])
    events = []
    for f in frames_of(pcm):
        events += [(f.index, e) for e in eot(vad(f))]
    kinds = [type(e) for _, e in events]
    assert kinds[0] is SpeechStarted
    ended = [(i, e) for i, e in events if isinstance(e, TurnEnded)]
    assert len(ended) == 1
    idx, turn = ended[0]
    # The turn ends 400 ms after the last speech frame, and the last speech is near the clip's end.
    assert idx - turn.end_frame == 20
    speech_end_frame = (len(silence(0.5)) + len(speech)) // FRAME
    assert abs(turn.end_frame - speech_end_frame) <= 10
    # The audio handed to ASR holds the whole utterance (with pre-roll), not the long silence.
    assert len(speech) * 0.9 <= len(turn.audio) <= len(speech) + RATE * 0.5
    # A speculation point came before the end, 160 ms into the final silence, with the same audio.
    pauses = [(i, e) for i, e in events if isinstance(e, SpeechPaused)]
    resumes = [i for i, e in events if isinstance(e, SpeechResumed)]
    last_pause_idx, last_pause = pauses[-1]
    assert last_pause_idx - turn.end_frame == 8
    assert not [r for r in resumes if r > last_pause_idx]
    assert np.array_equal(last_pause.audio, turn.audio)


def test_short_noise_never_opens_a_turn():
    vad = VoiceActivityDetector(RATE, 2)
    eot = EndOfTurnDetector(min_speech_ms=120)
    click = (np.sin(np.arange(int(RATE * 0.06)) * 0.3) * 8000).astype(np.int16)  # 60 ms burst
    pcm = np.concatenate([silence(0.3), click, silence(0.8)])
    events = [e for f in frames_of(pcm) for e in eot(vad(f))]
    assert events == []


def _barge(detector: BargeInDetector, pcm: np.ndarray, bot: np.ndarray | float) -> list:
    """Feed callee audio ``pcm`` while the bot plays ``bot`` (audio, or a constant RMS)."""
    vad = VoiceActivityDetector(RATE, 2)
    out = []
    for f in frames_of(pcm, bot_playing=True):
        if isinstance(bot, np.ndarray):
            seg = bot[f.index * FRAME:(f.index + 1) * FRAME].astype(np.float64)
            level = float(np.sqrt((seg ** 2).mean())) if len(seg) else 0.0
        else:
            level = bot
        f = AudioFrame(f.pcm, f.index, level, True)
        out += [(f.index, e) for e in detector(vad(f)) if isinstance(e, BargeIn)]
    return out


def test_barge_in_fires_after_the_configured_speech_time(speech):
    callee = np.concatenate([silence(0.3), speech])
    bot_voice, _ = read_wav("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav", RATE)
    hits = _barge(BargeInDetector(barge_in_ms=300), callee, np.resize(bot_voice, len(callee)))
    assert hits, "callee speech over the bot must barge in"
    # The clip opens with a 60 ms breath, then 240 ms of silence, then speech from frame 12.
    onset = len(silence(0.3)) // FRAME + 12
    assert 15 <= hits[0][0] - onset <= 22  # 300 ms of speech (+ short gaps, rare false echo) -> fired


def test_barge_in_ignores_short_noise(speech):
    cough = np.concatenate([silence(0.3), speech[: int(RATE * 0.2)], silence(0.6)])
    assert _barge(BargeInDetector(barge_in_ms=300), cough, 3000.0) == []


def test_barge_in_ignores_the_bots_own_echo_even_when_loud(speech):
    # The line returns the bot's voice 6 dB down, 60 ms late: as loud as a quiet caller.
    delay = int(RATE * 0.06)
    echo = np.concatenate([np.zeros(delay, np.int16), (speech[:-delay] * 0.5).astype(np.int16)])
    detector = BargeInDetector(barge_in_ms=300)
    assert _barge(detector, echo, speech) == []
    assert detector.suppressed_as_echo > 20
