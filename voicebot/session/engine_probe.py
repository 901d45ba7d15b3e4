"""Whether a bot process's engines answer now: the health probe a paused campaign worker asks
before it dials again (voicebot.campaign.engine_pause)."""

from __future__ import annotations

import random
from concurrent.futures import Future, TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from voicebot.session.engines import Engines

PROBE_TIMEOUT_S = 10.0


def probe_engines(engines: Engines, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """None when a short silence is recognised and a short line rendered, each through the pool a
    call uses (a pool full of hung jobs is a hung engine too), within ``timeout_s``; else why not."""
    settings = engines.settings
    silence = np.zeros(settings.media.clock_rate // 4, dtype=np.int16)
    # A fresh number each time: a line the prompt cache holds would answer without the engine.
    line = str(random.randint(1000, 9999))
    checks: dict[str, Future[Any]] = {  # a transcript, an audio chunk
        "asr": engines.recognise(silence, None, call_id="engine-probe"),
        "tts": engines.tts_pool.submit(lambda: next(iter(engines.renderer.stream(line, settings.dialogue.locale)))),
    }
    for engine, future in checks.items():
        try:
            future.result(timeout_s)
        except FutureTimeout:
            future.cancel()
            return f"{engine}: no answer within {timeout_s:g} s"
        except Exception as exc:
            return f"{engine}: {exc}"
    return None
