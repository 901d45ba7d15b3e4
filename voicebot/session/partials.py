"""Streaming recognition during a callee turn (backends with ``stream()``, e.g. Vosk).

Audio is fed on this object's own thread: Vosk takes 7-11 ms per chunk on average but stalls
for up to 0.5 s now and then, which must delay neither the media path nor the session loop.
Partial texts go to the call's events; the final transcript replaces a separate recognition.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

from voicebot.asr.base import Recognizer, RecognizerStream, Transcript
from voicebot.media.frames import Pcm16

_FINISH = object()


class PartialTranscriber:
    def __init__(self, recognizer: Recognizer, language: str | None, on_partial: Callable[[str], None],
                 call_id: str) -> None:
        self._recognizer = recognizer
        self._language = language
        self._on_partial = on_partial
        self._queue: queue.Queue[Any] = queue.Queue()  # (kind, payload) pairs, then _FINISH
        self._thread = threading.Thread(target=self._run, name=f"partials-{call_id}", daemon=True)
        self._thread.start()

    def start_turn(self, preroll: Pcm16) -> None:
        self._queue.put(("start", preroll))

    def feed(self, pcm: Pcm16) -> None:
        self._queue.put(("feed", pcm))

    def finish_turn(self) -> Future[Transcript]:
        fut: Future[Transcript] = Future()
        self._queue.put(("finish", fut))
        return fut

    def close(self) -> None:
        self._queue.put(_FINISH)

    def _run(self) -> None:
        stream: RecognizerStream | None = None
        while True:
            item = self._queue.get()
            if item is _FINISH:
                return
            kind, payload = item
            try:
                if kind == "start":
                    stream = self._recognizer.stream(self._language)
                    assert stream is not None  # partials are made only for a recogniser that streams
                    if len(payload):
                        stream.accept(payload)
                elif kind == "feed" and stream is not None:
                    text = stream.accept(payload)
                    if text:
                        self._on_partial(text)
                elif kind == "finish":
                    result = stream.finish() if stream is not None else Transcript("", 0.0, self._language or "", 0.0, 0.0)
                    stream = None
                    payload.set_result(result)
            except Exception as exc:  # a recognizer failure ends this turn's recognition, not the call
                if kind == "finish":
                    payload.set_exception(exc)
                stream = None
