"""RasaIntentClassifier against real Rasa servers trained from the sample intents."""

from __future__ import annotations

import http.server
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.rasa_client import RasaIntentClassifier, RasaUnavailableError

from .conftest import next_rasa_port
from .sample_examples import HELDOUT


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_held_out_utterances_get_the_right_intent(sample_servers, locale):
    classifier = RasaIntentClassifier(sample_servers[locale].url, threshold=0.3)
    results = [(text, want, classifier.parse(text)) for text, want in HELDOUT[locale]]
    wrong = [(text, want, r.intent, round(r.confidence, 2)) for text, want, r in results if r.intent != want]
    accuracy = 1 - len(wrong) / len(results)
    print(f"{locale}: Rasa top-1 on {len(results)} held-out sample utterances = {accuracy:.0%}; wrong: {wrong}")
    assert accuracy >= 0.85, wrong
    for _, _, r in results:
        names = [name for name, _ in r.ranking]
        confidences = [c for _, c in r.ranking]
        assert 1 < len(r.ranking) <= 5 and len(set(names)) == len(names)
        assert confidences == sorted(confidences, reverse=True) and 0.0 <= confidences[-1] <= confidences[0] <= 1.0


def test_low_confidence_and_empty_text_are_out_of_scope(sample_servers):
    strict = RasaIntentClassifier(sample_servers["en-US"].url, threshold=0.999)
    result = strict.parse("the weather on mars is cold")
    assert result.intent == OUT_OF_SCOPE and 0.0 < result.confidence < 0.999 and result.ranking
    assert strict.parse(" ，。!! ") == (empty := strict.parse("")) and empty.intent == OUT_OF_SCOPE
    assert empty.confidence == 0.0


def test_one_classifier_shared_by_many_calls_at_once(sample_servers):
    classifier = RasaIntentClassifier(sample_servers["zh-CN"].url, threshold=0.3, max_connections=4)
    texts = [text for text, _ in HELDOUT["zh-CN"]] * 8
    expected = {text: classifier.parse(text).intent for text in set(texts)}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:  # more threads than pooled connections
        intents = list(pool.map(lambda t: classifier.parse(t).intent, texts))
    elapsed = time.monotonic() - started
    assert intents == [expected[t] for t in texts]
    assert OUT_OF_SCOPE not in intents
    print(f"{len(texts)} parses from 12 threads in {elapsed:.2f} s ({1000 * elapsed / len(texts):.1f} ms each)")


def test_unreachable_server_is_a_clear_error_at_start_up():
    port = next_rasa_port()  # nothing listens there
    started = time.monotonic()
    with pytest.raises(RasaUnavailableError, match=f"Rasa server at http://127.0.0.1:{port} is unreachable"):
        RasaIntentClassifier(f"http://127.0.0.1:{port}", threshold=0.5)
    assert time.monotonic() - started < 3.0


def test_a_server_that_is_not_rasa_is_a_clear_error_at_start_up():
    """Something else on the configured port (a misconfigured URL): refused, naming the URL and the answer."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", next_rasa_port()), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(RasaUnavailableError, match=f"Rasa server at {url} answered GET /status with HTTP 404"):
            RasaIntentClassifier(url, threshold=0.5)
    finally:
        server.shutdown()
        server.server_close()
