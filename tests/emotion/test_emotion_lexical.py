"""Lexical cues, Chinese and English, and how they move a reading."""

from __future__ import annotations

import numpy as np
import pytest
from emotion_speech import speak
from make_eval_set import Rendering

from voicebot.emotion.classifier import ProsodyModel, classify
from voicebot.emotion.detector import EmotionDetector
from voicebot.emotion.lexical import lexical_cues


@pytest.mark.parametrize(
    "text,hit",
    [
        ("我要投诉你们", "投诉"),
        ("你们就是骗子", "骗子"),
        ("烦死了！", "烦死"),
        ("别再打了好吗", "别再打"),
        ("滚", "滚"),
        ("This is ridiculous.", "ridiculous"),
        ("Stop calling me!", "stop calling"),
        ("this is a scam", "scam"),
        ("I'm NOT interested, I already told you", "i already told you"),
        ("我说了不需要，你听不懂吗", "我说了"),
    ],
)
def test_agitated_cues(text, hit):
    cues = lexical_cues(text)
    assert hit in cues.agitated
    assert not cues.positive


@pytest.mark.parametrize(
    "text,hit",
    [("好的，没问题", "好的"), ("听起来不错", "不错"), ("可以", "可以"), ("Great, sounds good!", "sounds good"),
     ("That's wonderful, thanks", "wonderful")],
)  # fmt: skip
def test_positive_cues(text, hit):
    cues = lexical_cues(text)
    assert hit in cues.positive
    assert not cues.agitated


@pytest.mark.parametrize("text", ["不可以", "这个不好", "not good at all", "that's not great"])
def test_negated_positive_words_are_not_positive(text):
    assert lexical_cues(text).positive == []


@pytest.mark.parametrize("text,hit", [("随便", "随便"), ("嗯", "嗯"), ("whatever", "whatever"), ("无所谓吧", "无所谓"),
                                      ("I don't care", "i don't care")])  # fmt: skip
def test_withdrawn_cues(text, hit):
    assert hit in lexical_cues(text).withdrawn


def test_back_channel_inside_a_long_reply_is_not_withdrawn_and_short_replies_are_flagged():
    assert lexical_cues("嗯，我想问一下上个月的账单").withdrawn == []
    assert lexical_cues("no").short_answer
    assert lexical_cues("对").short_answer
    assert not lexical_cues("I'm calling about the bill I received").short_answer
    assert not lexical_cues("好的").short_answer  # short but engaged


@pytest.mark.parametrize("text", ["我不需要，没兴趣", "不感兴趣", "不用了，谢谢", "I'm not interested",
                                  "no thank you", "not interested, thanks"])
def test_a_polite_refusal_is_neither_agitated_nor_positive_about_the_offer(text):
    """Two polite refusals must not add up to "sustained anger" (an agent's time for a plain no);
    nor are "interested" / 兴趣 inside them positive."""
    cues = lexical_cues(text)
    assert cues.agitated == []
    assert not {"interested", "感兴趣"} & set(cues.positive)


def test_words_move_a_calm_sounding_turn_and_no_match_repeats_add_up():
    pcm = speak("en-us", 45, 0.0, "I am calling about the bill I received last week.")
    calm = EmotionDetector().analyze_turn(pcm, 8000, text="I'm calling about the bill I received last week.")
    assert calm.label == "neutral"
    insult = EmotionDetector().analyze_turn(pcm, 8000, text="你们这是骗子吧，我要投诉，别再打了")
    assert insult.label == "agitated"
    assert any(k.startswith("lex_agitated:") for k in insult.evidence)
    # Calm voice + happy words: a strong push to positive, but prosody still counts...
    happy = EmotionDetector().analyze_turn(pcm, 8000, text="好的，听起来不错")
    assert happy.evidence["p_positive"] > 5 * calm.evidence["p_positive"]
    # ...and a brighter voice with the same words is positive.
    bright = speak("en-us", 45, 0.0, "I am calling about the bill I received last week.", Rendering(12, 50, 8, 2, 0, 0))
    assert EmotionDetector().analyze_turn(bright, 8000, text="好的，听起来不错").label == "positive"
    # Repeated no-matches raise agitation even with neutral words.
    p = [EmotionDetector().analyze_turn(pcm, 8000, text="the bill", no_match_count=n).evidence["p_agitated"]
         for n in (0, 2)]  # fmt: skip
    assert p[1] > p[0]


def test_too_little_speech_falls_back_to_words():
    blip = np.zeros(1600, dtype=np.int16)  # 0.2 s of silence: no usable prosody
    reading = EmotionDetector().analyze_turn(blip, 8000, text="滚")
    assert reading.label == "agitated"
    assert not any(k.startswith("z_") for k in reading.evidence)


def test_words_decide_between_the_two_aroused_classes():
    """Loud, high and bright reads "positive" as readily as "agitated" in the fitted model; the words
    say which. Seen over SIP: a shouted "Stop calling me! This is har..." (one angry word heard)
    came out positive, and the anger escalation missed a turn."""
    model = ProsodyModel.load()
    shouted = {"pitch_median_st": 1.7, "pitch_range_st": 2.0, "pitch_std_st": 2.0, "energy_mean_db": 0.5,
               "energy_std_db": 2.7, "centroid_hz": 1.3, "tilt_db": 1.9}  # fmt: skip
    assert classify(shouted, model).label == "positive"  # prosody alone prefers positive here
    assert classify(shouted, model, lexical_cues("Stop calling me. This is her Asmit.")).label == "agitated"
    assert classify(shouted, model, lexical_cues("对，我就是车主，谢谢你")).label == "positive"
    # Words on both sides, or none: prosody's preference stands.
    assert classify(shouted, model, lexical_cues("the bill from last week")).label == "positive"
    angry_voice = {"pitch_median_st": 1.5, "energy_mean_db": 3.0, "energy_std_db": 1.0, "speech_rate_hz": 1.0}
    assert classify(angry_voice, model).label == "agitated"
    assert classify(angry_voice, model, lexical_cues("Great, thank you so much!")).label == "positive"
