"""A phone bank: one SIP phone that answers many calls at once, each dialled number its own persona.

Campaign tests and demos dial hundreds of "customers"; one pjsua2 process per customer would not
fit on a small machine. The bank maps the number in each INVITE's request URI to a persona and
plays it on its own thread, writing one JSON report per call.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from voicebot.callee.persona import Persona
from voicebot.callee.simulator import CalleeSimulator
from voicebot.config import Settings
from voicebot.logs import get_logger
from voicebot.sip.agent import SipUserAgent
from voicebot.sip.call import SipCall

log = get_logger("voicebot.callee.bank")
_USER = re.compile(r"sips?:([^@;>]+)@")

Renderer = Callable[[str, dict], np.ndarray]


def dialled_number(uri: str) -> str:
    """The user part of a SIP URI, as dialled: ``<sip:+8613900000001@host>`` -> ``+8613900000001``."""
    m = _USER.search(uri)
    return m.group(1) if m else ""


class PhoneBank:
    def __init__(self, settings: Settings, personas: dict[str, Persona], reports_dir: Path,
                 renderer_for: Callable[[Persona], Renderer], record_root: Path | None = None,
                 default: Persona | None = None, call_timeout_s: float = 180.0) -> None:
        self.settings = settings
        self.personas = personas  # dialled number -> persona
        self.default = default
        self.reports_dir = reports_dir
        self.record_root = record_root
        self.call_timeout_s = call_timeout_s
        self._renderers: dict[str, Renderer] = {}
        self._renderer_for = renderer_for
        self.ua = SipUserAgent(settings.sip, settings.media, name="phone-bank")
        self.ua.on_incoming = self._on_incoming
        self.handled = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        # Render every persona's lines before the first call: a callee never hesitates for TTS.
        for persona in {p.name: p for p in self.personas.values()}.values():
            CalleeSimulator(self.settings, persona, None, self._renderer(persona), ua=self.ua)
        self.ua.start()
        log.info("sip_started", port=self.settings.sip.port, numbers=len(self.personas))

    def _renderer(self, persona: Persona) -> Renderer:
        key = f"{persona.voice}:{sorted(persona.voice_options.items())}"
        if key not in self._renderers:
            self._renderers[key] = self._renderer_for(persona)
        return self._renderers[key]

    def _on_incoming(self, call: SipCall) -> None:
        # SIP thread: only pick the persona and hand the call to its own thread.
        number = dialled_number(call.local_uri)
        persona = self.personas.get(number) or self.default
        if persona is None:
            log.warning("unknown_number", number=number)
            self.ua._answer_now(call, 404)  # on the SIP thread already
            return
        thread = threading.Thread(target=self._play, args=(call, number, persona), name=f"bank-{call.uid}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _play(self, call: SipCall, number: str, persona: Persona) -> None:
        t0 = time.time()
        try:
            sim = CalleeSimulator(self.settings, persona, self.record_root, self._renderer(persona), ua=self.ua)
            report = sim.take(call, self.call_timeout_s).as_dict()
        except Exception as exc:  # one broken call must not end the bank
            log.exception("bank_call_failed", number=number)
            report = {"persona": persona.name, "error": str(exc)}
        report.update(number=number, call_id=call.uid, started=t0)
        with self._lock:
            self.handled += 1
            n = self.handled
        path = self.reports_dir / f"{n:04d}-{re.sub(r'[^0-9A-Za-z+_-]', '_', number)}.json"
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")

    def reports(self) -> list[dict]:
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(self.reports_dir.glob("*.json"))]

    def stop(self) -> None:
        for thread in self._threads:
            thread.join(5)
        self.ua.stop()
