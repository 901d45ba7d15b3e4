"""The dialler (``voicebot callee --dial``): one phone process keeping several lines busy, the load
probe's rig. Real pjsua2 on both sides, the default bot."""

from __future__ import annotations

import subprocess
import sys
import time

import yaml

from voicebot.callee.dialler import read_reports

from .conftest import call_result, next_ports


def test_two_lines_call_again_and_again_until_time_is_up_each_conversation_reported(bot, tmp_path):
    persona = tmp_path / "persona.yaml"
    persona.write_text(yaml.safe_dump({"name": "dial", "bot_done_silence_ms": 600, "reply_timeout_s": 15.0,
                                       "turns": [{"say": "What are your opening hours?"},
                                                 {"say": "Okay, thank you. Goodbye."}]}))
    port, rtp = next_ports()
    reports = tmp_path / "reports"
    mark = bot.mark()
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "voicebot", "callee", "--persona", str(persona),
                           "--dial", bot.uri, bot.uri, "--for", "25", "--reports-dir", str(reports),
                           "--port", str(port), "--rtp-port", str(rtp), "--timeout", "60"],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = read_reports(reports)
    by_line = {n: [r for r in done if r["line"] == n] for n in (0, 1)}
    # Both lines worked, and a line called again once its conversation was over.
    assert all(by_line.values()) and max(len(v) for v in by_line.values()) >= 2, [(r["line"], r.get("error")) for r in done]
    assert all(not r.get("error") for r in done)
    for r in done:
        assert len(r["turns"]) == 2 and all(t["reply_latency_ms"] is not None for t in r["turns"]), r
    # No line started a call after the time was up (the last one may end later).
    assert max(r["started"] for r in done) < t0 + 25 + 5
    assert len(call_result(bot, mark, len(done))) == len(done)


def test_more_lines_than_one_process_holds_are_refused_by_name(tmp_path):
    uris = ["sip:bot@127.0.0.1:9"] * 5
    proc = subprocess.run([sys.executable, "-m", "voicebot", "callee", "--persona", "demo-en", "--dial", *uris,
                           "--for", "1", "--reports-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "5 lines" in proc.stdout and "sip.max_calls" in proc.stdout
