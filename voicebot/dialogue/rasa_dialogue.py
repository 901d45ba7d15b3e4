"""Rasa drives the whole conversation: each call is a Rasa conversation over the REST channel
(``POST /webhooks/rest/webhook``, sender = call id). Selected with ``dialogue.plan = "rasa"``.

What the bot says comes back as Rasa messages: a ``text`` becomes ``Say``; a ``custom`` payload with an
``action`` becomes a call action::

    {"action": "transfer", "target": "sip:agent@pbx", "mode": "warm", "summary": "...", "reason": "..."}
    {"action": "hang_up", "reason": "completed"}        {"action": "tag", "tags": ["interested"]}
    {"action": "schedule_callback", "delay_s": 7200}    {"action": "send_offer", "offer": "discount"}
    {"action": "say", "text": "...", "interruptible": false}
    {"action": "outcome", "grade": "A", ...}             (merged into the call's outcome, says nothing)

Call events that are not callee words go to Rasa as intents (``/call_start``, ``/no_input``, ``/dtmf``,
``/transfer_ok``, ``/transfer_failed``, ``/supervisor_instruction``; see rasa_export.CONTROL_INTENTS).
``{name}``-style fields in texts are filled from the call's CRM profile (missing ones are left out). If Rasa fails mid-call the
callee hears a short apology and the call goes on; nothing raises into the session.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any, Iterable
from urllib.parse import quote

import urllib3

from voicebot.config import Settings
from voicebot.dialogue.base import Action, CallInfo, HangUp, Locale, Say, ScheduleCallback, SendOffer, Tag, Transfer, UserTurn
from voicebot.dialogue.nlu.rasa_client import check_rasa_server, error_reason, rasa_pool
from voicebot.dialogue.nlu.rasa_text import rasa_text
from voicebot.logs import get_logger

log = get_logger(__name__)
_GAP = re.compile(r"\s+([,.!?，。！？]|$)|(?<=^)\s+")

APOLOGY = {"en-US": "Sorry, could you say that again?", "zh-CN": "不好意思，您能再说一遍吗？"}
UNAVAILABLE = {"en-US": "Sorry, we are having technical problems. We will call you back later. Goodbye.",
               "zh-CN": "抱歉，系统出了点问题，我们稍后再联系您，再见。"}


class RasaDialogueFactory:
    def __init__(self, url: str, locale: Locale = "en-US", agent_uri: str = "", timeout_s: float = 2.0) -> None:
        self.url, self.locale, self.agent_uri = url.rstrip("/"), locale, agent_uri
        self._http = rasa_pool(timeout_s)
        status = check_rasa_server(self._http, self.url)
        log.info("rasa.dialogue_connected", url=self.url, model=status.get("model_file"))

    @classmethod
    def from_settings(cls, settings: Settings) -> "RasaDialogueFactory":
        d = settings.dialogue
        return cls(d.rasa_url, d.locale, d.agent_uri, d.rasa_timeout_s)

    def new_dialogue(self, call: CallInfo) -> "RasaDialogue":
        return RasaDialogue(self._http, self.url, call, self.agent_uri)

    def prompts(self) -> Iterable[tuple[Locale, str]]:
        """The project's fixed texts (no {fields}), so the TTS cache has them before the first call."""
        try:
            response = self._http.request("GET", f"{self.url}/domain", headers={"Accept": "application/json"})
            domain = json.loads(response.data) if response.status == 200 else {}
        except (urllib3.exceptions.HTTPError, ValueError) as exc:
            log.warning("rasa.domain_unavailable", url=self.url, error=str(exc))
            return []
        texts = [v.get("text") for variants in (domain.get("responses") or {}).values() for v in variants]
        return [(self.locale, t) for t in dict.fromkeys(texts) if t and not _fields(t)]


class RasaDialogue:
    def __init__(self, http: urllib3.PoolManager, url: str, call: CallInfo | None, agent_uri: str) -> None:
        self._http, self.url, self.agent_uri = http, url, agent_uri
        self.call = call
        self.locale: str = call.locale if call else "en-US"
        self._turns = 0
        self._failures = 0
        self._result: dict[str, Any] = {}
        self._actions_done: list[str] = []

    # --- Dialogue protocol -------------------------------------------------------------------------
    def start(self, call: CallInfo) -> list[Action]:
        self.call, self.locale = call, call.locale
        metadata = {"customer": call.customer, "direction": call.direction, "locale": call.locale}
        actions = self._send("/call_start", metadata)
        if actions is None:  # no engine, no conversation: apologise and end the call cleanly
            return [Say(UNAVAILABLE.get(self.locale, UNAVAILABLE["en-US"]), interruptible=False),
                    HangUp("dialogue engine unavailable")]
        return actions

    def on_user_turn(self, turn: UserTurn) -> list[Action]:
        self._turns += 1
        text = rasa_text(turn.text)  # the same segmentation the model was trained on
        if not text:
            return self.on_no_input()
        return self._reply(text)

    def on_dtmf(self, digit: str) -> list[Action]:
        return self._reply("/dtmf" + json.dumps({"digit": digit}))

    def on_no_input(self) -> list[Action]:
        return self._reply("/no_input")

    def on_transfer_result(self, ok: bool, detail: str = "") -> list[Action]:
        self._result["transferred"] = ok
        return self._reply("/transfer_ok" if ok else "/transfer_failed")

    def on_instruction(self, text: str) -> list[Action]:
        return self._reply("/supervisor_instruction" + json.dumps({"instruction": text}, ensure_ascii=False))

    def outcome(self) -> dict[str, Any]:
        return {"engine": "rasa", "turns": self._turns, "rasa_failures": self._failures,
                "intents": self._tracker_intents(), "actions": list(self._actions_done), **self._result}

    # --- internals ---------------------------------------------------------------------------------
    def _reply(self, message: str) -> list[Action]:
        actions = self._send(message)
        return [Say(APOLOGY.get(self.locale, APOLOGY["en-US"]))] if actions is None else actions

    def _send(self, message: str, metadata: dict[str, Any] | None = None) -> list[Action] | None:
        """Rasa's answer as call actions, or None if Rasa could not be asked (logged, never raised)."""
        body: dict[str, Any] = {"sender": self._sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        try:
            response = self._http.request(
                "POST", f"{self.url}/webhooks/rest/webhook",
                body=json.dumps(body, ensure_ascii=False, default=str).encode(),
                headers={"Content-Type": "application/json"},
            )
            messages = json.loads(response.data) if response.status == 200 else None
        except (urllib3.exceptions.HTTPError, ValueError) as exc:
            messages, error = None, error_reason(exc)
        else:
            error = f"HTTP {response.status}"
        if not isinstance(messages, list):
            self._failures += 1
            log.warning("rasa.webhook_failed", url=self.url, call_id=self._sender, error=error)
            return None
        actions: list[Action] = []
        for item in messages:
            if isinstance(item, dict):
                actions += self._to_actions(item)
        return actions

    def _to_actions(self, message: dict[str, Any]) -> list[Action]:
        actions: list[Action] = []
        if message.get("text"):
            actions.append(Say(self._fill(message["text"])))
        custom = message.get("custom")
        if isinstance(custom, dict):
            action = self._custom_action(custom)
            if action is not None:
                actions.append(action)
                self._actions_done.append(type(action).__name__)
        return actions

    def _custom_action(self, c: dict[str, Any]) -> Action | None:
        kind = c.get("action")
        try:
            if kind == "say":
                return Say(self._fill(str(c["text"])), bool(c.get("interruptible", True)))
            if kind == "transfer":
                target = c.get("target") or self.agent_uri
                if not target:
                    log.warning("rasa.transfer_without_target", call_id=self._sender)
                    return None
                return Transfer(target, "warm" if c.get("mode") == "warm" else "blind",
                                self._fill(str(c.get("summary", ""))), str(c.get("reason", "")))
            if kind == "hang_up":
                return HangUp(str(c.get("reason", "completed")))
            if kind == "tag":
                return Tag(tuple(str(t) for t in c.get("tags", ())))
            if kind == "schedule_callback":
                delay = c.get("delay_s")
                return ScheduleCallback(delay_s=float(delay) if delay is not None else None, note=str(c.get("note", "")))
            if kind == "send_offer":
                return SendOffer(str(c.get("offer", "")))
            if kind == "outcome":
                self._result.update({k: v for k, v in c.items() if k != "action"})
                return None
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("rasa.bad_custom_payload", call_id=self._sender, payload=c, error=str(exc))
            return None
        log.warning("rasa.unknown_custom_action", call_id=self._sender, payload=c)
        return None

    def _fill(self, text: str) -> str:
        """{name}, {product}, ... from the CRM profile; a field it lacks is left out."""
        if not _fields(text):
            return text
        try:
            filled = string.Formatter().vformat(text, (), _Blank(self.call.customer if self.call else {}))
        except (IndexError, KeyError, ValueError, AttributeError):  # "{0}", "{a.b}": not a profile field
            return text
        return _GAP.sub(r"\1", filled).strip()

    def _tracker_intents(self) -> list[str]:
        try:
            response = self._http.request("GET", f"{self.url}/conversations/{quote(self._sender, safe='')}/tracker")
            events = json.loads(response.data).get("events", []) if response.status == 200 else []
        except (urllib3.exceptions.HTTPError, ValueError, AttributeError):
            return []
        return [e["parse_data"]["intent"]["name"] for e in events
                if e.get("event") == "user" and (e.get("parse_data") or {}).get("intent", {}).get("name")]

    @property
    def _sender(self) -> str:
        return self.call.call_id if self.call else "unknown"


class _Blank(dict):
    """A field the profile lacks is said as nothing, never read out as "{name}"."""

    def __missing__(self, key: str) -> str:
        return ""


def _fields(text: str) -> bool:
    try:
        return any(name for _, name, _, _ in string.Formatter().parse(text))
    except ValueError:
        return False
