"""The console's way into live calls through Redis: typed whispers and "call me into this call".

Keys, one pair per live call so that with several bot workers only the worker holding the
call picks its messages up:

* ``voicebot:instruct:<call_id>`` — list of JSON ``{"text": ...}``: a typed instruction for
  the bot ("transfer now", "hang up"), handed to the dialogue like a spoken whisper;
* ``voicebot:supervise:<call_id>`` — list of JSON ``{"uri": ..., "mode": ...}``: the bot calls
  the supervisor at ``uri`` and connects them to the call in ``mode``.

Each bot process runs one thread that BLPOPs the keys of its own live calls (a single blocking
command per ``phone_supervision.redis_poll_s``): nothing per frame, nothing in the call loop.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

import redis

from voicebot.logs import get_logger
from voicebot.supervisor.errors import Invalid
from voicebot.supervisor.modes import Mode

if TYPE_CHECKING:
    from voicebot.supervisor.bot_host import BotHost

log = get_logger("voicebot.supervisor.channel")
KEY_TTL_S = 3600  # a message for a call that never gets read (call over, worker gone) expires


def instruct_key(call_id: str) -> str:
    return f"voicebot:instruct:{call_id}"


def supervise_key(call_id: str) -> str:
    return f"voicebot:supervise:{call_id}"


def send_instruction(client: redis.Redis, call_id: str, text: str) -> None:
    text = text.strip()
    if not text:
        raise ValueError("an instruction needs some text")
    key = instruct_key(call_id)
    client.rpush(key, json.dumps({"text": text, "ts": time.time()}, ensure_ascii=False))
    client.expire(key, KEY_TTL_S)


def request_supervisor_call(client: redis.Redis, call_id: str, uri: str, mode: Mode | str) -> None:
    mode = Mode.parse(mode) if isinstance(mode, str) else mode
    if not uri.startswith(("sip:", "sips:")):
        raise Invalid("bad_phone", uri=uri)
    key = supervise_key(call_id)
    client.rpush(key, json.dumps({"uri": uri, "mode": mode.value, "ts": time.time()}))
    client.expire(key, KEY_TTL_S)


class ConsoleChannel:
    def __init__(self, server: BotHost, client: redis.Redis) -> None:
        self.server = server
        self.client = client
        self.poll_s = server.settings.phone_supervision.redis_poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="console-channel", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.poll_s + 2)

    def _run(self) -> None:
        while not self._stop.is_set():
            keys = []
            for session in self.server.live_sessions():
                keys += [instruct_key(session.call.uid), supervise_key(session.call.uid)]
            if not keys:
                self._stop.wait(self.poll_s)
                continue
            try:
                item = self.client.blpop(keys, timeout=self.poll_s)
            except redis.RedisError as exc:
                log.warning("console_channel_redis_error", error=str(exc))
                self._stop.wait(2.0)
                continue
            if item is not None:
                self._handle(*item)

    def _handle(self, key: str, raw: str) -> None:
        call_id = key.rsplit(":", 1)[1]
        try:
            message: dict[str, Any] = json.loads(raw)
            if not isinstance(message, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            log.warning("console_message_malformed", key=key, error=str(exc))
            return
        session = self.server.find_session(call_id)
        if session is None:
            log.info("console_message_for_ended_call", call_id=call_id)
            return
        try:
            if key.startswith("voicebot:instruct:"):
                session.instruct(str(message.get("text", "")), source="typed")
            else:
                self.server.supervision.call_out(str(message["uri"]), call_id, str(message.get("mode", "listen")))
        except Exception as exc:  # a bad request must not stop the channel for every other call
            log.warning("console_request_failed", call_id=call_id, key=key, error=str(exc))
