"""What a call costs while nothing happens on it: N silent calls over the in-memory transport
(the real session, listener and speaker; Whisper and Piper loaded), held for a while after the
greeting, and the process CPU time they took.

    PYTHONPATH=. .venv/bin/python benchmarks/idle_cpu.py [--calls 1 8] [--seconds 20] [--no-write]

The figure: process CPU seconds per call per second of call (``cpu_s_per_call_s``), N = 1 and 8,
and the part of it spent on the calls' session threads and on their line clocks (from /proc, at
clock-tick resolution: 10 ms). It includes each memory line's clock thread (a frame each way
every 20 ms, as pjmedia's bridge moves them for a SIP call), so it is the conversation core's idle
cost plus a transport's.
The callee stays silent and the no-input timer is pushed out of the window, so the calls only
listen. Runs on the code before the call inbox too (it then reports no wake-up counts), so the two
can be compared: check out the older commit and run this file from this one. Writes
benchmarks/results/idle_cpu.json with the machine's state: measure on a quiet machine.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import tempfile
import threading
import time
from pathlib import Path

from machine_state import machine

from tests.session import test_memory_transport as memory_line
from tests.session.memory_line import memory_line_settings
from voicebot.session.engines import Engines, load_engines

SPEED = 1.0  # real time, as on a phone line
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def thread_cpu_s(prefix: str) -> float:
    """CPU seconds so far of this process's live threads whose name starts with ``prefix`` (from
    /proc: user + system time of each thread, at clock-tick resolution)."""
    total = 0.0
    for thread in threading.enumerate():
        if not thread.name.startswith(prefix) or thread.native_id is None:
            continue
        try:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime (fields 14 and 15)
    return total


def open_call(engines: Engines) -> memory_line.Call:
    # The memory-line helper of tests/session; older versions have no speed argument and read the
    # module's SPEED instead.
    memory_line.SPEED = SPEED
    if "speed" in inspect.signature(memory_line.Call).parameters:
        return memory_line.Call(engines, speed=SPEED)
    return memory_line.Call(engines)


def hold(engines: Engines, n: int, seconds: float) -> dict[str, float | int | None]:
    """``n`` silent calls, held ``seconds`` once their greetings have played; what they cost."""
    calls = [open_call(engines) for _ in range(n)]
    try:
        for c in calls:
            c.wait(c.bot_quiet, timeout=60)  # the greeting is synthesised and played: idle from here
        inboxes = [getattr(c.session, "inbox", None) for c in calls]
        wakes_before = sum(i.wakes + i.timeouts for i in inboxes if i is not None)
        cpu0, t0 = time.process_time(), time.monotonic()
        session0, clock0 = thread_cpu_s("call-"), thread_cpu_s("memclock-")
        time.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
        session, clock = thread_cpu_s("call-") - session0, thread_cpu_s("memclock-") - clock0
        wakes = sum(i.wakes + i.timeouts for i in inboxes if i is not None) - wakes_before
    finally:
        for c in calls:
            c.phone.hang_up()
        for c in calls:
            c.finish()
    return {"calls": n, "seconds": round(wall, 2), "cpu_s": round(cpu, 3),
            "cpu_s_per_call_s": round(cpu / (n * wall), 5),
            # Of which: the session threads (the conversation core) and the memory lines' clocks.
            "session_thread_cpu_s_per_call_s": round(session / (n * wall), 5),
            "clock_thread_cpu_s_per_call_s": round(clock / (n * wall), 5),
            "session_wakes_per_call_s": round(wakes / (n * wall), 1) if inboxes[0] is not None else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--seconds", type=float, default=20.0, help="how long the silent calls are held")
    ap.add_argument("--no-write", action="store_true", help="print only (a quick check)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="idle-cpu-") as recordings:
        settings = memory_line_settings(Path(recordings))
        settings.recording.enabled = False  # the figure is the core's; recordings are disk work
        settings.turn.no_input_timeout_s = 10 * args.seconds + 60  # silent, and nobody prompts them
        engines = load_engines(settings)
        try:
            runs = []
            for n in args.calls:
                run = hold(engines, n, args.seconds)
                print(f"{n} silent call(s), {run['seconds']} s: {run['cpu_s']} CPU s, "
                      f"{run['cpu_s_per_call_s']} CPU s per call per s (session threads "
                      f"{run['session_thread_cpu_s_per_call_s']}, line clocks {run['clock_thread_cpu_s_per_call_s']}), "
                      f"session wake-ups per call per s: {run['session_wakes_per_call_s']}")
                runs.append(run)
        finally:
            engines.close()
    out = {"speed": SPEED, "runs": runs, "machine": machine()}
    print(json.dumps(out, indent=1))
    if not args.no_write:
        Path(__file__).parent.joinpath("results", "idle_cpu.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
