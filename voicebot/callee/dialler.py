"""A dialler: one phone process that keeps several lines calling the bot, one conversation after
another on each line, until a deadline.

A load probe needs 16 callers for minutes. Starting a process per conversation (Python, pjsua2, the
persona's audio) cost the rig about half its CPU on the two cores it shares with the bot it
measures; here each line reuses one user agent and the persona's rendered lines.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from voicebot.callee.bank import Renderer
from voicebot.callee.persona import Persona
from voicebot.callee.simulator import CalleeSimulator
from voicebot.config import Settings
from voicebot.logs import get_logger
from voicebot.sip.agent import SipUserAgent

log = get_logger("voicebot.callee.dialler")
RETRY_PAUSE_S = 2.0  # after a call that could not be placed: don't spin on a bot that refuses
LINE_STAGGER_S = 0.3  # the lines' first calls start this far apart, not all in the same 20 ms


class Dialler:
    def __init__(self, settings: Settings, persona: Persona, uris: list[str], reports_dir: Path,
                 render: Renderer, until: float, call_timeout_s: float = 180.0) -> None:
        if not uris:
            raise ValueError("dialler: no line to call on (give at least one URI)")
        if len(uris) > settings.sip.max_calls:
            raise ValueError(f"dialler: {len(uris)} lines, but one phone process holds {settings.sip.max_calls} calls "
                             "(sip.max_calls)")
        self.settings = settings
        self.persona = persona
        self.uris = uris
        self.reports_dir = reports_dir
        self.render = render
        self.until = until
        self.call_timeout_s = call_timeout_s
        self.ua = SipUserAgent(settings.sip, settings.media, name="dialler")
        self._lock = threading.Lock()
        self.placed = 0

    def run(self) -> int:
        """Dial until the deadline; returns the number of conversations reported."""
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        self.ua.start()
        try:
            lines = [threading.Thread(target=self._line, args=(n, uri), name=f"line-{n}", daemon=True)
                     for n, uri in enumerate(self.uris)]
            for t in lines:
                t.start()
            for t in lines:
                t.join()
        finally:
            self.ua.stop()
        return self.placed

    def _line(self, n: int, uri: str) -> None:
        time.sleep(n * LINE_STAGGER_S)
        k = 0
        while time.time() < self.until:
            t0 = time.time()
            try:
                sim = CalleeSimulator(self.settings, self.persona, None, self.render, ua=self.ua)
                report = sim.place(uri, min(self.call_timeout_s, max(5.0, self.until - t0 + 60.0))).as_dict()
            except Exception as exc:  # one failed call must not end the line
                log.exception("dialler_call_failed", line=n, uri=uri)
                report = {"persona": self.persona.name, "error": str(exc), "turns": []}
            report.update(line=n, uri=uri, started=t0)
            (self.reports_dir / f"line{n}-{k:04d}.json").write_text(json.dumps(report, ensure_ascii=False), "utf-8")
            k += 1
            with self._lock:
                self.placed += 1
            if report.get("error") or not report.get("turns"):
                time.sleep(RETRY_PAUSE_S)


def read_reports(reports_dir: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(reports_dir.glob("line*.json"))]
