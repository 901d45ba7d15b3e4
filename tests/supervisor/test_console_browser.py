"""End to end: a real bot process publishing to a real redis-server, a real console process, a
simulated phone talking to the bot over SIP/RTP, and Debian's Chromium driven by Playwright.

Log in -> the live call appears -> listen: PCM arrives in the page, non-silent -> after the call,
the recording page shows the transcript; an unauthenticated request and a traversal path are
refused; the bot's /metrics counters moved. Screenshots of every page go to tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from voice.conftest import Phone, call_result, next_ports

from voicebot.callee.harness import BotProcess

from .campaign_seed import seed_campaign
from .conftest import HASHES, PASSWORDS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
# ~25 s of conversation: time to see the call, click listen and hear both sides.
PERSONA = {
    "name": "console-e2e", "locale": "en-US", "voice": "joe", "voice_options": {"pitch_semitones": 4},
    "turns": [
        {"say": "Hi, what are your opening hours?"},
        {"say": "How much does the basic plan cost?"},
        {"say": "Is there anything else I should know about the plans?"},
        {"say": "No thank you, that is all. Goodbye."},
    ],
}


PHONE_AS_USER = "+8613812345678"


def wait_js(page, expression: str, timeout: float = 30_000) -> None:
    """Polls a JS expression with page.evaluate (a DevTools call, not subject to the page's CSP: Playwright's
    wait_for_function compiles its predicate with eval, which the console's CSP rightly forbids)."""
    deadline = time.time() + timeout / 1000
    while not page.evaluate(expression):
        assert time.time() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _metrics(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+|NaN)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


class ConsoleProcess:
    def __init__(self, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port, self.log_path = port, log_path
        self.proc = subprocess.Popen([sys.executable, "-m", "voicebot", "console", "--port", str(port)],
                                     env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                     stderr=open(log_path, "w"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{self.url}/login", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"console did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.slow
def test_console_live_call_listen_and_recording(tmp_path, redis_server, redis_client, artifacts):
    assert Path(CHROMIUM).exists(), "Debian's Chromium is needed: apt-get install chromium"
    shots = artifacts / "console"
    shots.mkdir(exist_ok=True)
    metrics_port, console_port = _free_port(), _free_port()
    users = {"sue": {"password_hash": HASHES["sue"], "role": "supervisor"},
             "vic": {"password_hash": HASHES["vic"], "role": "viewer"}}
    env = {"VOICEBOT_REDIS__URL": f"unix://{redis_server.socket_path}",
           "VOICEBOT_PATHS__RECORDINGS_DIR": str(tmp_path / "bot" / "recordings"),
           "VOICEBOT_SUPERVISOR__USERS": json.dumps(users)}
    sip_port, rtp_port = next_ports()
    bot = BotProcess(sip_port, rtp_port, tmp_path / "bot",
                     env={**env, "VOICEBOT_SUPERVISOR__METRICS_PORT": str(metrics_port)})
    console = ConsoleProcess(console_port, env, tmp_path / "console.log")
    try:
        bot.start()  # inside the try: a bot that fails to start must not leave the console running
        console.wait_ready()
        before = _metrics(metrics_port)
        assert before.get("voicebot_active_calls") == 0.0
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                _browse(browser, console.url, bot, tmp_path, shots, metrics_port, redis_client)
            finally:
                browser.close()
        after = _metrics(metrics_port)
    finally:
        console.stop()
        bot.stop()
    console_log = console.log_path.read_text()
    assert "console_login_refused" in console_log and PHONE_AS_USER not in console_log
    # The counters moved with the call.
    assert after["voicebot_calls_started_total"] == before.get("voicebot_calls_started_total", 0) + 1
    assert after['voicebot_calls_total{outcome="human"}'] == 1
    assert after["voicebot_reply_latency_seconds_count"] >= 3
    assert after["voicebot_asr_seconds_count"] >= 4
    assert after['voicebot_events_total{type="user_turn"}'] >= 4
    assert after["voicebot_active_calls"] == 0
    assert after['voicebot_redis_errors_total{kind="events"}'] == 0
    (shots / "metrics-after.txt").write_text(json.dumps(after, indent=1), encoding="utf-8")


def _browse(browser, url: str, bot: BotProcess, tmp_path: Path, shots: Path, metrics_port: int, redis_client) -> None:
    # --- refused without a session ----------------------------------------------------
    anon = browser.new_context()
    assert anon.request.get(f"{url}/api/live").status == 401
    assert anon.request.get(f"{url}/files/recordings/2026-01-01/x.wav").status == 401
    page = anon.new_page()
    page.goto(f"{url}/live")
    assert "/login" in page.url
    page.screenshot(path=str(shots / "01-login.png"))
    # A refused login whose "user name" is a phone number: the console's log must not hold it whole.
    token = re.search(r'name="csrf" value="([^"]+)"', anon.request.get(f"{url}/login").text()).group(1)
    assert anon.request.post(f"{url}/login", form={"username": PHONE_AS_USER, "password": "x", "csrf": token}).status == 401
    anon.close()

    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(f"{url}/login?next=/live")
    page.fill("#username", "sue")
    page.fill("#password", PASSWORDS["sue"])
    page.click("#login")
    page.wait_for_url(f"{url}/live")
    wait_js(page, "document.getElementById('stream-status').textContent === 'live'", timeout=10_000)
    assert ctx.request.get(f"{url}/files/recordings/..%2F..%2F..%2Fetc%2Fpasswd").status == 404
    assert ctx.request.get(f"{url}/files/recordings/%2e%2e/%2e%2e/etc/passwd").status == 404

    # --- a call starts: its row appears -------------------------------------------------
    mark = bot.mark()
    t_call = time.time()
    phone = Phone(tmp_path, PERSONA, call=bot.uri)
    row = page.wait_for_selector("#calls tbody tr[data-call]", timeout=20_000)
    call_id = row.get_attribute("data-call")
    appeared_s = time.time() - t_call
    page.wait_for_selector(f"#calls tr[data-call='{call_id}'] .utt", timeout=15_000)  # the greeting
    assert _metrics(metrics_port)["voicebot_active_calls"] == 1.0
    page.screenshot(path=str(shots / "02-live-call.png"))

    # --- listen: audio samples arrive within 1 s and are not silence -----------------------
    page.click(f"#calls tr[data-call='{call_id}'] button.listen")
    wait_js(page, "window.vbListen.chunks > 0", timeout=5_000)
    first_chunk_ms = page.evaluate("window.vbListen.firstChunkMs")
    wait_js(page, "window.vbListen.samples >= 8000 * 6", timeout=15_000)  # 6 s of audio
    stats = page.evaluate("({samples: window.vbListen.samples, rms: window.vbListen.rms(), peak: window.vbListen.peak})")
    wait_js(page, "document.querySelectorAll('#listen-transcript li').length >= 2", timeout=20_000)
    page.screenshot(path=str(shots / "03-listen.png"))
    (shots / "listen-stats.json").write_text(json.dumps({**stats, "first_chunk_ms": first_chunk_ms,
                                                         "row_appeared_s": round(appeared_s, 2)}), encoding="utf-8")
    assert first_chunk_ms < 1000, first_chunk_ms
    assert stats["rms"] > 150 and stats["peak"] > 2000, stats

    # --- the call ends: its recording, with the transcript ----------------------------------
    report = phone.report()
    assert report["ended_by"] == "bot"
    finished = call_result(bot, mark)[0]
    page.wait_for_selector(f"#calls tr.ended[data-call='{call_id}']", timeout=10_000)
    page.goto(f"{url}/recordings")
    link = page.wait_for_selector(f"#recordings tr[data-call='{call_id}'] a.open", timeout=10_000)
    assert "a person" in page.inner_text(f"#recordings tr[data-call='{call_id}']")  # answered_by: human
    page.screenshot(path=str(shots / "04-recordings.png"))
    link.click()
    page.wait_for_selector("#transcript li", timeout=10_000)
    text = page.inner_text("#transcript").lower()
    assert "hour" in text and "goodbye" in text, text
    assert "Hello" in page.inner_text("#transcript")  # the bot's greeting
    # Playing highlights the line under the play head.
    start = page.evaluate("Number(document.querySelectorAll('#transcript li.who-callee')[0].dataset.start)")
    page.evaluate(f"document.getElementById('player').currentTime = {start + 0.3}")
    page.wait_for_selector("#transcript li.active", timeout=5_000)
    assert page.evaluate("document.getElementById('timeline').querySelectorAll('rect').length") >= 6
    page.screenshot(path=str(shots / "05-recording.png"), full_page=True)
    wav = ctx.request.get(f"{url}/files/recordings/{Path(finished['recording']).parent.name}/{call_id}.wav")
    assert wav.status == 200 and wav.body()[:4] == b"RIFF"
    seed_campaign(redis_client)
    page.goto(f"{url}/campaigns")
    page.wait_for_selector("#cards .card", timeout=5_000)
    assert "83.3 %" in page.inner_text("#cards")  # connect rate of the seeded campaign: 5 of 6
    page.wait_for_selector("#chart-hours rect")
    page.screenshot(path=str(shots / "06-campaigns.png"), full_page=True)
    ctx.close()

    # --- a viewer: the same recording, masked, without audio -----------------------------------
    viewer = browser.new_context(viewport={"width": 1280, "height": 800})
    page = viewer.new_page()
    page.goto(f"{url}/login?next=/recordings")
    page.fill("#username", "vic")
    page.fill("#password", PASSWORDS["vic"])
    page.click("#login")
    page.wait_for_selector(f"#recordings tr[data-call='{call_id}'] a.open", timeout=10_000).click()
    page.wait_for_selector("#transcript li", timeout=10_000)
    assert page.query_selector("#player") is None and "supervisors only" in page.inner_text("#rec")
    day = Path(finished["recording"]).parent.name
    assert viewer.request.get(f"{url}/files/recordings/{day}/{call_id}.wav").status == 403
    page.screenshot(path=str(shots / "07-recording-viewer.png"), full_page=True)
    viewer.close()
