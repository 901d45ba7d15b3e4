"""onnxruntime without telemetry.

onnxruntime's Linux wheels carry Microsoft's 1DS telemetry client: once a session has run it looks
up and contacts mobile.events.data.microsoft.com (seen 3-7 s after calls ended). An offline
call-center server must make no outbound lookups. ``disable_telemetry_events()`` does not stop that
client (measured: the lookups go on); the ``ORT_DISABLE_TELEMETRY`` environment variable, read when
onnxruntime is imported, does. So it is set here before the import, and ``voicebot/__init__`` sets it
too, in case a library imports onnxruntime on its own first.
"""

from __future__ import annotations

import os
from types import ModuleType

TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


def switch_off_telemetry() -> None:
    os.environ.setdefault(TELEMETRY_ENV, "1")  # an operator's explicit setting wins


def import_onnxruntime() -> ModuleType:
    """onnxruntime, imported with its telemetry off (and its telemetry events off as well)."""
    switch_off_telemetry()
    import onnxruntime

    onnxruntime.disable_telemetry_events()
    return onnxruntime
