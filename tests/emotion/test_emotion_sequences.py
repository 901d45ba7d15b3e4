"""Turn sequences from one caller, as a call would feed them: escalation is caught, calm is left alone,
and a loud/high-pitched but calm caller is not called agitated once the baseline knows them."""

from __future__ import annotations

import random

import pytest
from emotion_speech import CALM, speak
from make_eval_set import Rendering

from voicebot.emotion.detector import EmotionDetector

EN = [
    "I'm calling about my internet contract.",
    "The router was installed two weeks ago.",
    "It keeps dropping the connection every evening.",
    "I restarted it like you said yesterday.",
    "Nothing has changed since then.",
    "I need this fixed by tomorrow.",
]
ZH = [  # 我想问一下我的合同 / 路由器是两周前安装的 / 每天晚上都会断网 / 我昨天已经重启了 / 到现在还是一样 / 明天必须修好
    "wo3 xiang3 wen4 yi2 xia4 wo3 de he2 tong2",
    "lu4 you2 qi4 shi4 liang3 zhou1 qian2 an1 zhuang1 de",
    "mei3 tian1 wan3 shang4 dou1 hui4 duan4 wang3",
    "wo3 zuo2 tian1 yi3 jing1 chong2 qi3 le",
    "dao4 xian4 zai4 hai2 shi4 yi2 yang4",
    "ming2 tian1 bi4 xu1 xiu1 hao3",
]
# Two calm turns (the baseline), a mildly raised one, then three inside the eval set's agitated range.
ESCALATION = [
    CALM,
    CALM,
    Rendering(12, 50, 10, 3, 10, 0),
    Rendering(28, 110, 25, 7, 30, 0),
    Rendering(35, 130, 30, 8, 40, 0),
    Rendering(40, 150, 35, 9, 45, 0),
]
# Voices that are in neither split of the eval set.
VOICES = [("en-us+m5", 48, 3.0, EN), ("cmn-latn-pinyin+f3", 60, 2.0, ZH)]


def calm_turns(seed: int) -> list[Rendering]:
    rng = random.Random(seed)
    return [Rendering(rng.uniform(-4, 4), rng.uniform(-10, 10), rng.uniform(-5, 5), rng.uniform(-1, 1), 0, 0)
            for _ in range(6)]  # fmt: skip


def run_call(voice: str, pitch: int, level: float, texts: list[str], renderings: list[Rendering]):
    detector = EmotionDetector(use_lexical=False)  # prosody alone: the words here are all neutral
    return [detector.analyze_turn(speak(voice, pitch, level, t, r), 8000) for t, r in zip(texts, renderings)]


@pytest.mark.parametrize("voice,pitch,level,texts", VOICES, ids=[v[0] for v in VOICES])
def test_escalating_caller_reads_agitated_on_the_later_turns(voice, pitch, level, texts):
    readings = run_call(voice, pitch, level, texts, ESCALATION)
    labels = [r.label for r in readings]
    assert "agitated" not in labels[:3], labels
    assert labels[-1] == "agitated", labels
    assert labels[3:].count("agitated") >= 2, labels
    p_agitated = [r.evidence["p_agitated"] for r in readings]
    assert min(p_agitated[-2:]) > max(p_agitated[:2]), p_agitated
    # The evidence names what drove it: louder and higher than this caller's own baseline.
    last = readings[-1].evidence
    assert last["z_energy_mean_db"] > 2.0 and last["z_pitch_median_st"] > 1.5, last


@pytest.mark.parametrize("voice,pitch,level,texts", VOICES, ids=[v[0] for v in VOICES])
def test_calm_caller_never_reads_agitated(voice, pitch, level, texts):
    readings = run_call(voice, pitch, level, texts, calm_turns(7))
    labels = [r.label for r in readings]
    assert "agitated" not in labels, labels
    assert labels.count("neutral") >= 5, labels


def test_loud_high_pitched_calm_caller_is_neutral_thanks_to_the_baseline():
    # 12 dB louder than nominal and a high voice: against population defaults this is "excited".
    voice, pitch, loud = "en-us+f4", 85, 12.0
    readings = run_call(voice, pitch, loud, EN, calm_turns(11))
    labels = [r.label for r in readings]
    assert "agitated" not in labels, labels
    assert labels[2:] == ["neutral"] * 4, labels
    assert all(abs(r.evidence["z_energy_mean_db"]) < 1.5 for r in readings[2:]), [r.evidence for r in readings]

    # The same calm loud turn is far from the baseline of this voice at a normal level.
    detector = EmotionDetector(use_lexical=False)
    for text in EN[:2]:
        detector.analyze_turn(speak(voice, pitch, 0.0, text), 8000)
    reading = detector.analyze_turn(speak(voice, pitch, loud, EN[2]), 8000)
    assert reading.evidence["z_energy_mean_db"] > 3.0, reading.evidence


def test_a_short_opener_does_not_teach_the_baseline():
    """Seen over SIP: "Yes, speaking." (0.6 s of speech, a pause inside) measured 10 dB quieter than the
    same voice's next sentences; learnt as the baseline, it made every later calm turn read shouted,
    and the anger escalation took a calm customer to an agent."""
    voice, pitch = "en-us+m5", 48
    detector = EmotionDetector(use_lexical=False)
    opener = detector.analyze_turn(speak(voice, pitch, -10.0, "Yes, speaking."), 8000)
    assert opener.evidence["speech_s"] < detector.config.baseline_min_speech_s
    assert detector.baseline.n_turns == 0  # judged, but not learnt from
    labels = [detector.analyze_turn(speak(voice, pitch, 0.0, text), 8000).label for text in EN[:3]]
    assert "agitated" not in labels, labels
    assert detector.baseline.n_turns == 2  # the first two full sentences are the baseline
