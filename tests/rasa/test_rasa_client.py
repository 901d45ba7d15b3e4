"""RasaIntentClassifier against real Rasa servers trained from the sample dialplans."""

from __future__ import annotations

import http.server
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE
from voicebot.dialogue.nlu.rasa_client import RasaIntentClassifier, RasaUnavailableError

from .conftest import heldout, next_rasa_port


def test_rankings_and_the_threshold(rasa_servers):
    classifier = RasaIntentClassifier(rasa_servers["en-US"].url, threshold=0.3)
    result = classifier.parse("how much is it")
    assert result.intent == "ask_price" and result.confidence > 0.3
    names = [name for name, _ in result.ranking]
    confidences = [c for _, c in result.ranking]
    assert names[0] == "ask_price" and 1 < len(names) <= 5 and len(set(names)) == len(names)
    assert confidences == sorted(confidences, reverse=True) and 0.0 <= confidences[-1] <= confidences[0] <= 1.0

    strict = RasaIntentClassifier(rasa_servers["en-US"].url, threshold=0.9999)
    unsure = strict.parse("how much is it")
    assert unsure.intent == OUT_OF_SCOPE and unsure.confidence == result.confidence and unsure.ranking
    empty = strict.parse(" ，。!! ")
    assert empty.intent == OUT_OF_SCOPE and empty.confidence == 0.0  # nothing to ask the server about


def test_one_classifier_shared_by_many_calls_at_once(rasa_servers):
    classifier = RasaIntentClassifier(rasa_servers["zh-CN"].url, threshold=0.3, max_connections=4)
    texts = [text for _, text in heldout("zh-CN")]
    expected = {text: classifier.parse(text) for text in texts}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:  # more threads than pooled connections
        results = list(pool.map(classifier.parse, texts * 2))
    elapsed = time.monotonic() - started
    assert results == [expected[t] for t in texts * 2]
    print(f"{len(results)} parses from 12 threads in {elapsed:.2f} s ({1000 * elapsed / len(results):.1f} ms each)")


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
