"""State-aware recognition of a short zh answer: the same in a bot process and through the
recognition service, and phrases that mean the same never make each other doubtful.

Real Whisper base; the answer is spoken by the product's Mandarin voice through G.711 μ-law. Free
decoding writes 满意 as 妈呀 on this line: only scoring the expected answers hears it. How often
short answers are heard right is measured in benchmarks/nlu_spoken3.py (一般 in this voice is
still heard as 比较满意); these tests hold the mechanism.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

from voicebot.asr.base import ExpectedPhrase
from voicebot.asr.remote import RemoteRecognizer
from voicebot.asr.service import RecognitionService
from voicebot.asr.utterances import through_phone
from voicebot.config import load_settings
from voicebot.dialogue import survey

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model():
    from voicebot.asr.models import resolve_whisper_model
    from voicebot.asr.whisper import WhisperRecognizer

    settings = load_settings()
    return WhisperRecognizer(resolve_whisper_model(settings), settings.asr)


@pytest.fixture(scope="module")
def answers():
    """Each survey answer as the phone line carries it, padded as an utterance is."""
    from voicebot.tts.renderer import SpeechRenderer

    renderer = SpeechRenderer(load_settings(), 16000)
    pad = np.zeros(3200, np.int16)
    return {text: np.concatenate([pad, through_phone(renderer.render(text + "。", "zh-CN")), pad])
            for text in ("满意", "一般", "不满意")}


def survey_phrases(meanings: bool) -> tuple:
    return tuple(ExpectedPhrase(text, f"csat:{score}" if meanings else "") for text, score in survey.expected("zh-CN"))


def test_an_answer_heard_by_its_meaning_never_loses_margin_to_its_own_synonyms(model, answers):
    for text, pcm in answers.items():
        grouped = model.transcribe(pcm, "zh", expected=survey_phrases(meanings=True))
        plain = model.transcribe(pcm, "zh", expected=survey_phrases(meanings=False))
        # 满意 beside 很满意 and 非常满意 (all a 5): only answers of another score compete.
        assert grouped.expected_margin >= plain.expected_margin, (text, grouped, plain)
        assert grouped.text in dict(survey.COMMON["zh-CN"]), (text, grouped)
    satisfied = model.transcribe(answers["满意"], "zh", expected=survey_phrases(meanings=True))
    assert (satisfied.text, satisfied.free_text) == ("满意", "妈呀。")


def test_the_recognition_service_scores_the_expected_answers_as_a_process_does(model, answers):
    path = os.path.join(tempfile.mkdtemp(prefix="vb-asr-"), "s.sock")
    service = RecognitionService(model, path, "batch").start()
    client = RemoteRecognizer(path, timeout_s=60)
    try:
        phrases = survey_phrases(meanings=True)
        for text, pcm in answers.items():
            local = model.transcribe(pcm, "zh", expected=phrases)
            remote = client.submit(pcm, "zh", "call-1", expected=phrases).result(60)
            assert remote.text == local.text, text
        # Without expected answers the service decodes freely, as before.
        free = client.submit(answers["满意"], "zh", "call-1").result(60)
        assert free.text == model.transcribe(answers["满意"], "zh").text
    finally:
        client.close()
        service.stop()
