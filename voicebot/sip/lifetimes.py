"""When pjsua2 objects may die. Their C++ destructors must run on the SIP thread while the library
is alive, and not while pjmedia's clock still holds a port: released calls and ports wait in a
graveyard until only it refers to them. Media ports are never destroyed while the library runs;
they are recycled (see ``CallAudioPort.reset``)."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from typing import Any

from voicebot.logs import get_logger
from voicebot.sip.call import retire
from voicebot.sip.port import CallAudioPort

log = get_logger("voicebot.sip")
OVERDUE_S = 5.0
COLLECT_EVERY_S = 20.0


class PjObjectGraveyard:
    """The SIP thread's released pjsua2 objects and its pool of media ports."""

    def __init__(self, clock_rate: int, frame_ms: int, report_every_s: float = 0.0) -> None:
        self.clock_rate, self.frame_ms = clock_rate, frame_ms
        self.report_every_s = report_every_s
        self._reported_at = self._collected_at = time.monotonic()
        self._graveyard: list[list[Any]] = []  # [earliest monotonic time, object]
        self._free_ports: list[CallAudioPort] = []
        self._all_ports: list[CallAudioPort] = []

    def take_port(self) -> CallAudioPort:
        """A call's media port (SIP thread): a recycled one when free, else a new one."""
        if self._free_ports:
            port = self._free_ports.pop()
            port.reset()
            return port
        port = CallAudioPort(self.clock_rate, self.frame_ms)
        port.create(f"port-{len(self._all_ports)}")
        self._all_ports.append(port)
        return port

    def release(self, obj: Any, after_s: float = 0.0) -> None:
        """``obj`` (a call's pjsua2 object, or its port) is done with; dropped no sooner than ``after_s``."""
        self._graveyard.append([time.monotonic() + after_s if after_s else 0.0, obj])

    def bury(self, force: bool = False) -> None:
        """Recycle released ports, and drop other released pjsua2 objects, once only the graveyard
        refers to them. At shutdown everything is retired instead: no C++ destructor may run after
        (or race) libDestroy()."""
        now = time.monotonic()
        keep = []
        for entry in self._graveyard:
            due, obj = entry
            if force:
                retire(obj)
                continue
            # refs: the entry list, the local name, getrefcount's argument (+ _all_ports for a port)
            is_port = isinstance(obj, CallAudioPort)
            if now >= due and sys.getrefcount(obj) <= 3 + is_port:
                if is_port:
                    self._free_ports.append(obj)
                continue
            keep.append(entry)
        self._graveyard = keep
        if force:
            for port in self._all_ports:
                retire(port)
            self._free_ports.clear()
        else:
            self._collect_cycles(now)

    def _collect_cycles(self, now: float) -> None:
        """A finished call's session objects refer to each other; such a cycle, with the call's port
        and pjsua2 call in it, is freed by the collector, not by reference counting. When something
        has waited OVERDUE_S past its time, collect (cheap: the server froze its start-up heap out of
        the collector's way), at most every COLLECT_EVERY_S, so the ports are recycled and pjmedia's
        bridge (maxMediaPorts) never fills with dead calls' ports."""
        if now - self._collected_at < COLLECT_EVERY_S or not any(now >= due + OVERDUE_S for due, _ in self._graveyard):
            return
        self._collected_at = now
        started = time.perf_counter()
        freed = gc.collect()
        log.info("graveyard_collected", objects=freed, ms=round(1000 * (time.perf_counter() - started), 1))

    def report(self, ua: str, ep: Any, calls: int, refusing: int) -> None:
        """Every ``report_every_s`` (SIP thread), one line of what this process's SIP stack holds, so
        a soak or an operator sees a leak as a climb: calls, pjmedia bridge ports, our media ports."""
        if not self.report_every_s or time.monotonic() - self._reported_at < self.report_every_s:
            return
        self._reported_at = time.monotonic()
        log.info("sip_resources", ua=ua, pid=os.getpid(), calls=calls, refusing=refusing,
                 bridge_ports=ep.mediaActivePorts() if ep is not None else 0, media_ports=len(self._all_ports),
                 media_ports_free=len(self._free_ports), graveyard=len(self._graveyard),
                 threads=threading.active_count())
