"""Intent recognition by an external Rasa server over its HTTP API (``POST /model/parse``).

One instance per dialplan, shared by every call: urllib3's PoolManager is thread-safe and keeps
connections alive, so a parse costs one local round trip (4-10 ms measured). The server is checked once at
construction (a clear error naming the URL if it is down or has no model); after that a failed parse
never raises into the call: it is logged and reads as out_of_scope with confidence 0, so the plan's
"didn't understand" branch handles it and the call goes on.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3

from voicebot.dialogue.nlu.base import OUT_OF_SCOPE, IntentResult
from voicebot.dialogue.nlu.rasa_text import rasa_text
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger

log = get_logger(__name__)

RANKING_SIZE = 5


class RasaUnavailableError(VoicebotError):
    """The Rasa server named in the settings cannot be used."""


class RasaIntentClassifier:
    def __init__(self, url: str, threshold: float, timeout_s: float = 2.0, *, max_connections: int = 16) -> None:
        self.url = url.rstrip("/")
        self.threshold = threshold
        self.timeout_s = timeout_s
        self._http = rasa_pool(timeout_s, max_connections)
        self._check_server()

    def _check_server(self) -> None:
        status = check_rasa_server(self._http, self.url)
        log.info("rasa.connected", url=self.url, model=status.get("model_file"), model_id=status.get("model_id"))

    def parse(self, text: str) -> IntentResult:
        query = rasa_text(text)
        if not query:
            return IntentResult(OUT_OF_SCOPE, 0.0)
        try:
            response = self._http.request(
                "POST", f"{self.url}/model/parse",
                body=json.dumps({"text": query}).encode(), headers={"Content-Type": "application/json"},
            )
        except urllib3.exceptions.HTTPError as exc:
            log.warning("rasa.parse_failed", url=self.url, error=error_reason(exc))
            return IntentResult(OUT_OF_SCOPE, 0.0)
        data = parse_json(response.data) if response.status == 200 else None
        try:
            if data is not None:
                return self._result(data)
        except (AttributeError, TypeError, ValueError):  # a proxy or another version answering oddly
            pass
        log.warning("rasa.parse_failed", url=self.url, status=response.status, body=response.data[:200])
        return IntentResult(OUT_OF_SCOPE, 0.0)

    def _result(self, data: dict[str, Any]) -> IntentResult:
        ranking = tuple(
            (str(item.get("name")), float(item.get("confidence") or 0.0))
            for item in (data.get("intent_ranking") or [])[:RANKING_SIZE]
            if item.get("name")
        )
        top = data.get("intent") or {}
        intent, confidence = top.get("name"), float(top.get("confidence") or 0.0)
        if not intent or intent == "nlu_fallback" or confidence < self.threshold:
            return IntentResult(OUT_OF_SCOPE, confidence, ranking)
        return IntentResult(str(intent), confidence, ranking)

    def close(self) -> None:
        self._http.clear()


def rasa_pool(timeout_s: float, max_connections: int = 16) -> urllib3.PoolManager:
    """Thread-safe keep-alive connections. No retries: a turn waiting on a dead server is worse than
    a "sorry, could you repeat that"."""
    return urllib3.PoolManager(num_pools=2, maxsize=max_connections, block=False,
                               timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s), retries=False)


def check_rasa_server(http: urllib3.PoolManager, url: str) -> dict[str, Any]:
    """GET /status once at start-up: a clear error naming the URL unless a Rasa server with a model answers."""
    try:
        response = http.request("GET", f"{url}/status")
    except urllib3.exceptions.HTTPError as exc:
        raise RasaUnavailableError(
            f"Rasa server at {url} is unreachable ({error_reason(exc)}); start it with "
            f"`voicebot rasa serve PROJECT_DIR --port PORT` or fix dialogue.rasa_url"
        ) from exc
    if response.status != 200:
        raise RasaUnavailableError(
            f"Rasa server at {url} answered GET /status with HTTP {response.status}; it must run with --enable-api"
        )
    status = parse_json(response.data)
    if not status or not status.get("model_file"):
        raise RasaUnavailableError(f"Rasa server at {url} has no trained model loaded")
    return status


def parse_json(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def error_reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc)
