"""Campaign jobs dialled through the real voice loop (the Dialer seam between campaigns and SIP)."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import Phone, next_ports

DIAL_SCRIPT = """
import json, sys
from pathlib import Path
from voicebot.config import load_settings
from voicebot.campaign.dialer import CallJob
from voicebot.server.dialer import voice_loop_dialer_factory
from voicebot.logs import configure_logging
configure_logging("WARNING")
s = load_settings()
s.sip.port, s.sip.rtp_port = int(sys.argv[1]), int(sys.argv[2])
s.paths.recordings_dir = Path(sys.argv[3])
dialer = voice_loop_dialer_factory(s, None)
out = []
for i, uri in enumerate(sys.argv[4:]):
    job = CallJob(campaign="t", job_id=f"c{i}:1", customer_id=f"c{i}", phone=uri, attempt=1, locale="en-US",
                  segment="new_lead", customer={"name": "Ada"})
    out.append(dialer.dial(job).to_dict())
out.append({"sessions_left": len(dialer.server.sessions)})
dialer.server.stop()
print(json.dumps(out))
"""


def test_dialer_reports_answered_and_busy_calls(tmp_path):
    talker = Phone(tmp_path, {"name": "answers", "turns": [{"say": "What are your opening hours?"},
                                                           {"say": "Great thanks goodbye."}]})
    busy = Phone(tmp_path, {"name": "busy", "reject_with": 486})
    talker.wait_ready(), busy.wait_ready()
    port, rtp = next_ports()
    out = subprocess.run([sys.executable, "-c", DIAL_SCRIPT, str(port), str(rtp), str(tmp_path / "rec"),
                          talker.uri, busy.uri], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    answered, rejected, left = json.loads(out.stdout.strip().splitlines()[-1])
    # A finished call must not stay in the server: it would hold its media port, and a campaign
    # worker would fill pjmedia's bridge after some sixty calls (found by benchmarks/soak.py).
    assert left == {"sessions_left": 0}
    # One sentence per turn: the pause a TTS puts between sentences ("Great, thanks. Goodbye.") is
    # about the 400 ms end-of-turn silence, so such a line is one turn or two by a few milliseconds.
    assert answered["answered_by"] == "human" and answered["turns"] == 2, answered
    assert answered["hung_up_by"] == "bot" and "hours" in answered["tags"]
    assert rejected["answered_by"] == "busy" and rejected["turns"] == 0
    assert talker.report()["ended_by"] == "bot"
    assert busy.report()["ended_by"] == "rejected"
