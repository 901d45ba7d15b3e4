"""What each benchmark records about the machine it ran on: a figure measured while something else
loaded the 2 cores is not the figure, and the result file must say so."""

from __future__ import annotations

import os
import platform


def machine() -> dict[str, object]:
    load = os.getloadavg()
    info: dict[str, object] = {"cpu_count": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in load],
                               "python": platform.python_version(), "platform": platform.platform()}
    if load[0] > 1.0:
        info["note"] = "another process was running on the machine (1-minute load average above 1.0 at start)"
    return info
