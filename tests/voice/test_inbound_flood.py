"""An INVITE flood from one source is refused (503 + Retry-After) while another source's call is answered."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

from voicebot.callee.harness import BotProcess

from .conftest import next_ports

SCENARIOS = Path(__file__).resolve().parents[1] / "sip" / "scenarios"


def test_a_flood_from_one_source_is_refused_while_another_source_gets_through(tmp_path):
    port, rtp = next_ports()
    health_port = port + 1
    env = {"VOICEBOT_OPS__HEALTH_PORT": str(health_port), "VOICEBOT_SIP__INBOUND_CALLS_PER_S_PER_SOURCE": "0.5",
           "VOICEBOT_SIP__INBOUND_BURST_PER_SOURCE": "1", "VOICEBOT_SIP__TRANSPORTS": '["udp"]'}
    flood_port, flood_rtp = next_ports()
    caller_port, caller_rtp = next_ports()
    flood_log = tmp_path / "flood.log"
    with BotProcess(port, rtp, tmp_path, env=env) as bot:
        mark = bot.mark()
        # 60 INVITEs at 30/s from 127.0.0.1 (the limit: 1 at once, then one every 2 s).
        flood = subprocess.Popen(
            ["sipp", "-nostdin", "-i", "127.0.0.1", "-p", str(flood_port), "-mp", str(flood_rtp),
             "-sf", str(SCENARIOS / "uac_flood_accept_or_503.xml"), "-r", "30", "-m", "60", "-l", "60",
             "-timeout", "30s", "-trace_logs", "-log_file", str(flood_log), "-s", "bot", f"127.0.0.1:{bot.port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.7)  # mid-flood
        started = time.monotonic()
        caller = subprocess.run(
            ["sipp", "-nostdin", "-i", "127.0.0.2", "-p", str(caller_port), "-mp", str(caller_rtp), "-sn", "uac",
             "-m", "1", "-timeout", "20s", "-timeout_error", "-s", "bot", f"127.0.0.1:{bot.port}"],
            capture_output=True, text=True, timeout=35)
        caller_s = time.monotonic() - started
        flood_out = flood.communicate(timeout=40)[0]
        refused_events = bot.wait_events("inbound_refused", 2, mark, timeout=5)
        flood_lines = bot.lines[mark:]
        assert bot.proc.poll() is None, "the bot must survive the flood"
        with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/healthz", timeout=5) as resp:
            healthz = json.loads(resp.read())
    assert caller.returncode == 0, caller.stdout[-1500:] + caller.stderr[-1500:]
    refused = flood_log.read_text().count("REFUSED Retry-After:") if flood_log.exists() else 0
    assert refused >= 50, f"{refused} of 60 refused\n{flood_out[-1500:]}"
    assert refused_events and all(e["source"] == "127.0.0.1" and e["code"] == 503 for e in refused_events)
    # One line per second per source: the flood lasts ~2 s, not one line per INVITE.
    assert len(refused_events) <= 5 and sum(e["refused"] for e in refused_events) <= refused
    # No line per refused INVITE either: only the admitted calls (flood's 1-2, the other caller's) log theirs.
    assert sum("call_disconnected" in line for line in flood_lines) <= 6, flood_lines[:20]
    assert healthz["inbound_refused_total"] >= refused, healthz  # the counter a monitor reads
    assert not bot.events("call_rejected", mark), "nothing from 127.0.0.2 may be refused"
    print(f"flood: {refused}/60 refused with 503, {len(refused_events)} log lines; "
          f"the other source's call completed in {caller_s:.1f} s")
