"""The recognition service and its client over a real unix socket, with the real Whisper base model."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time

import numpy as np
import pytest

from voicebot.asr.protocol import (
    Kind,
    MsgType,
    ProtocolError,
    RecognitionReply,
    RecognitionRequest,
    decode,
    encode_reply,
    encode_request,
)
from voicebot.asr.remote import RecognitionServiceError, RemoteRecognizer
from voicebot.asr.service import RecognitionService
from voicebot.asr.utterances import librivox, phone_turns
from voicebot.config import load_settings


@pytest.fixture(scope="module")
def model():
    from voicebot.asr.models import resolve_whisper_model
    from voicebot.asr.whisper import WhisperRecognizer

    settings = load_settings()
    return WhisperRecognizer(resolve_whisper_model(settings), settings.asr)


@pytest.fixture(scope="module")
def speech(model):
    """Three short phone turns (with their text decoded alone) and a long recording that keeps
    the decoder busy while the test queues work behind it."""
    turns = phone_turns(load_settings(), ("What are your opening hours?", "Yes, that's right.",
                                          "Please send me the details by email."))
    alone = [model.transcribe(u.pcm, "en").text for u in turns]
    busy = max(librivox(), key=lambda u: len(u.pcm))
    return [u.pcm for u in turns], alone, busy.pcm


def socket_path() -> str:
    return os.path.join(tempfile.mkdtemp(prefix="vb-asr-"), "s.sock")


@pytest.fixture
def service(model, request):
    packing = getattr(request, "param", "off")
    svc = RecognitionService(model, socket_path(), packing).start()
    yield svc
    svc.stop()


def occupy(svc: RecognitionService, client: RemoteRecognizer, busy: np.ndarray):
    """A long utterance the decoder is working on once this returns: what follows queues."""
    before = svc.queue.added
    fut = client.submit(busy, "en", "busy-call", Kind.FINAL)
    deadline = time.time() + 10
    while (svc.queue.added == before or len(svc.queue)) and time.time() < deadline:
        time.sleep(0.002)
    assert svc.queue.added == before + 1 and len(svc.queue) == 0 and not fut.done()
    return fut


def test_end_of_turn_work_goes_before_speculation(service, speech):
    pcms, alone, busy = speech
    client = RemoteRecognizer(service.path, timeout_s=60)
    first = occupy(service, client, busy)
    order: list[str] = []
    lock = threading.Lock()
    futs = {}
    for name, pcm, kind in (("spec-a", pcms[0], Kind.SPECULATIVE), ("spec-b", pcms[1], Kind.SPECULATIVE),
                            ("final-c", pcms[2], Kind.FINAL), ("spec-d", pcms[0], Kind.SPECULATIVE)):
        futs[name] = client.submit(pcm, "en", name, kind)
        futs[name].add_done_callback(lambda f, n=name: (lock.acquire(), order.append(n), lock.release()))
    client.promote(futs["spec-d"])  # its turn ended: now it is end-of-turn work
    assert first.result(30).text
    assert [futs[n].result(30).text for n in ("spec-a", "spec-b", "final-c", "spec-d")] == alone + alone[:1]
    assert order == ["final-c", "spec-d", "spec-a", "spec-b"]
    client.close()


def test_stale_speculation_is_superseded_or_cancelled(service, speech):
    pcms, alone, busy = speech
    client = RemoteRecognizer(service.path, timeout_s=60)
    occupy(service, client, busy)
    stale = client.submit(pcms[0], "en", "call-x", Kind.SPECULATIVE)
    final = client.submit(pcms[1], "en", "call-x", Kind.FINAL)  # the same call, newer: stale goes
    withdrawn = client.submit(pcms[2], "en", "call-y", Kind.SPECULATIVE)
    assert withdrawn.cancel()  # the session does this when the callee speaks on
    assert final.result(30).text == alone[1]
    deadline = time.time() + 5
    while not stale.cancelled() and time.time() < deadline:
        time.sleep(0.01)
    assert stale.cancelled()
    while service.stats.cancelled < 1 and time.time() < deadline:
        time.sleep(0.01)
    assert (service.stats.superseded, service.stats.cancelled) == (1, 1)
    assert service.stats.utterances == 2  # the busy one and the final: nothing else was decoded
    client.close()


@pytest.mark.parametrize("service", ["pack", "batch"], indirect=True)
def test_utterances_decoded_together_keep_their_own_text(service, speech):
    pcms, alone, busy = speech
    client = RemoteRecognizer(service.path, timeout_s=60)
    occupy(service, client, busy)
    futs = [client.submit(pcm, "en", f"call-{i}", Kind.FINAL) for i, pcm in enumerate(pcms)]
    assert [f.result(30).text for f in futs] == alone
    assert service.stats.packed_windows == 1 and service.stats.windows == 2
    client.close()


def test_service_down_is_a_clear_error_and_the_client_reconnects(model, speech):
    pcms, alone, busy = speech
    path = socket_path()
    client = RemoteRecognizer(path, timeout_s=60)
    # The client's own error, not the wait giving up (that would raise a TimeoutError, no match).
    with pytest.raises(RecognitionServiceError, match="not reachable.*asr-service"):
        client.submit(pcms[0], "en", "c").result(5)
    svc = RecognitionService(model, path, "off").start()
    try:
        time.sleep(0.6)  # the client's reconnect back-off
        assert client.transcribe(pcms[0], "en").text == alone[0]
        occupy(svc, client, busy)
        waiting = client.submit(pcms[1], "en", "c")
    finally:
        svc.stop()
    with pytest.raises(RecognitionServiceError, match="went away"):
        waiting.result(10)
    client.close()


def test_an_unanswered_request_times_out(tmp_path):
    """A service that accepts and never answers (hung): the call must not hang with it."""
    path = str(tmp_path / "hung.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    client = RemoteRecognizer(path, timeout_s=0.5)
    # The client's 0.5 s timeout answers, not the wait's 5 s (that would raise a TimeoutError, no match).
    with pytest.raises(RecognitionServiceError, match="no answer within"):
        client.submit(np.zeros(16000, dtype=np.int16), "en", "c").result(5)
    client.close()
    listener.close()


def test_wire_format_round_trip_and_bad_messages():
    pcm = (np.arange(320) - 160).astype(np.int16)
    req = RecognitionRequest(7, Kind.SPECULATIVE, "call-1", "zh", "张先生", 8000, pcm)
    got = decode(encode_request(req)[4:])
    assert (got.request_id, got.kind, got.call_id, got.language, got.prompt, got.sample_rate) == \
        (7, Kind.SPECULATIVE, "call-1", "zh", "张先生", 8000)
    assert np.array_equal(got.pcm, pcm)
    rep = decode(encode_reply(RecognitionReply(MsgType.RESULT, 7, "你好", "zh", 0.5, 1.0, 0.25, 0.125, 3))[4:])
    assert (rep.text, rep.language, rep.confidence, rep.queued_s, rep.packed) == ("你好", "zh", 0.5, 0.125, 3)
    with pytest.raises(ProtocolError, match="unknown message type"):
        decode(b"\x09\x00\x00\x00\x01")
    with pytest.raises(ProtocolError, match="whole int16"):
        decode(encode_request(req)[4:] + b"\x00")


def test_audio_at_the_call_rate_is_resampled_by_the_service(service, speech):
    from voicebot.audio.pcm import resample

    pcms, alone, _ = speech
    client = RemoteRecognizer(service.path, timeout_s=60)
    narrow = resample(pcms[0], 16000, 8000)  # media.clock_rate = 8000
    assert client.submit(narrow, "en", "c", sample_rate=8000).result(30).text == alone[0]
    client.close()
