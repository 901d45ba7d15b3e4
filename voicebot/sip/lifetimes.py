"""When pjsua2 objects may die. Their C++ destructors must run on the SIP thread while the library
is alive, and not while pjmedia's clock still holds a port: released calls and ports wait in a
graveyard until only it refers to them. Media ports are never destroyed while the library runs;
they are recycled (see ``CallAudioPort.reset``)."""

from __future__ import annotations

import sys
import time
from typing import Any

from voicebot.sip.call import retire
from voicebot.sip.port import CallAudioPort


class PjObjectGraveyard:
    """The SIP thread's released pjsua2 objects and its pool of media ports."""

    def __init__(self, clock_rate: int, frame_ms: int) -> None:
        self.clock_rate, self.frame_ms = clock_rate, frame_ms
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
