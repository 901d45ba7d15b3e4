"""The attack pass in Debian's Chromium (Playwright), against the console served by uvicorn over a real
redis-server: payloads in every rendered field execute nothing (CSP bypassed, so the escaping itself is
tested), a viewer sees no phone number in any format, a same-site page on another port can neither log
the supervisor out, log her in as someone else, nor frame the console; ten wrong passwords show the
lockout message. Then the workstation: interventions on a live call, wallboard, search, QA, audit, and
the Chinese UI. Screenshots go to tests/artifacts/console-attack/.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink
from voicebot.supervisor.channel import instruct_key, supervise_key

from . import attack_seed as A
from .campaign_seed import seed_campaign
from .conftest import PASSWORDS, Served, console_settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
# Any element carrying an event-handler attribute, or injected markup, is a payload that became HTML.
INJECTED_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) if (a.name.startsWith('on')) bad.push(el.tagName + ' ' + a.name);
  }
  bad.push(...[...document.querySelectorAll('main img, main script, main iframe, #calls svg, #transcript svg, #tiles svg')]
    .map(e => 'injected ' + e.tagName));
  return {bad, pwned: window.__pwned === undefined ? null : window.__pwned};
}"""


def wait_js(page, expression: str, timeout: float = 30_000) -> None:
    """Polls a JS expression with page.evaluate (a DevTools call, not subject to the page's CSP: Playwright's
    wait_for_function compiles its predicate with eval, which the console's CSP rightly forbids)."""
    deadline = time.time() + timeout / 1000
    while not page.evaluate(expression):
        assert time.time() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def _attacker_site(console_url: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A same-site page on another port: frames the board, posts logout and a login as the viewer."""
    html = f"""<!doctype html><html><body>
<iframe id="framed" src="{console_url}/live" width="800" height="300"></iframe>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="out" method="post" action="{console_url}/logout" target="sink1"><input name="csrf" value="guess"></form>
<form id="in" method="post" action="{console_url}/login" target="sink2">
  <input name="username" value="vic"><input name="password" value="{PASSWORDS['vic']}"><input name="next" value="/live"></form>
<script>document.getElementById('out').submit(); setTimeout(() => document.getElementById('in').submit(), 300);</script>
</body></html>""".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _login(page, url: str, user: str, next_path: str = "/live") -> None:
    page.goto(f"{url}/login?next={next_path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("#login")
    page.wait_for_url(f"{url}{next_path}")


def _assert_clean(page, where: str, alerts: list[str]) -> None:
    # Hover everything: the ATTR payload's onmouseover covers the page if it ever becomes an attribute.
    for x, y in ((5, 5), (400, 200), (640, 400), (900, 600), (1200, 780)):
        page.mouse.move(x, y)
    # ... and fire the events a payload handler would wait for on every element (one call, not a hover each).
    page.evaluate("""() => document.querySelectorAll('body *').forEach(el => {
      for (const type of ['mouseover', 'mouseenter', 'mousemove', 'focus', 'animationstart'])
        el.dispatchEvent(new Event(type, {bubbles: true}));
    })""")
    found = page.evaluate(INJECTED_JS)
    assert found == {"bad": [], "pwned": None} and alerts == [], (where, found, alerts)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1300, (where, width)  # long values wrap instead of pushing the page sideways


@pytest.mark.slow
def test_console_attack_pass_and_workstation(tmp_path, redis_server, redis_client, artifacts):
    assert Path(CHROMIUM).exists(), "Debian's Chromium is needed: apt-get install chromium"
    shots = artifacts / "console-attack"
    shots.mkdir(exist_ok=True)
    settings = console_settings(tmp_path)
    settings.supervisor.users["sue"].phone = "sip:sue@pbx.example"
    settings.supervisor.wallboard.calls_plan_per_day = 400
    settings.campaign.human_agents = 3
    settings.supervisor.wallboard.escalations_red = 1  # the seeded escalation turns its tile red
    A.seed_live(redis_client)
    A.seed_recordings(settings.paths.recordings_dir)
    from voicebot.supervisor.app import create_app

    app = create_app(settings, redis_client)
    with Served(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            _supervisor_pass(browser, url, redis_client, shots)
            _viewer_pass(browser, url, shots)
            _cross_site_pass(browser, url, shots)
            _lockout_pass(browser, url, shots)
        finally:
            browser.close()


def _supervisor_pass(browser, url: str, redis_client, shots: Path) -> None:
    # bypass_csp: the payloads must be inert through escaping alone, not only because the CSP blocks them.
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    alerts: list[str] = []
    confirms: list[str] = []
    decline = [False]  # the supervisor's answer to the next confirm()

    def on_dialog(d) -> None:
        if d.type != "confirm":
            alerts.append(d.message)
            d.dismiss()
            return
        confirms.append(d.message)
        d.dismiss() if decline[0] else d.accept()

    page.on("dialog", on_dialog)
    _login(page, url, "sue")
    wait_js(page, "document.querySelectorAll('#calls tbody tr').length === 2", timeout=10_000)
    ids = page.evaluate("[...document.querySelectorAll('#calls tbody tr')].map(tr => tr.dataset.call)")
    assert sorted(ids) == sorted([A.ATTACK_CALL, A.PLAIN_CALL])  # the payload round-trips as plain data
    board = page.inner_text("#calls")
    assert A.TAG in board and A.SVG in board and A.TEMPLATE in board  # shown as text
    assert "Customer's turn" in board  # the dialplan's "listening" state, said for a supervisor
    _assert_clean(page, "live board", alerts)
    page.screenshot(path=str(shots / "01-live-attack.png"), full_page=True)

    # --- interventions on a live call -------------------------------------------------------------
    page.click(f"#calls tr[data-call='{A.PLAIN_CALL}'] button.listen")
    # Live updates (SSE) take the same path: a payload arriving now lands as text in the board and the panel.
    sink = RedisEventSink(redis_client, worker="w-live")
    sink(CallEvent("user_turn", A.PLAIN_CALL, {"text": A.TAG + A.ATTR}))
    sink(CallEvent("instruction", A.PLAIN_CALL, {"text": A.SVG, "source": "typed", "actions": ["Say", A.TAG]}))
    assert sink.flush()
    sink.close()
    wait_js(page, "document.getElementById('listen-transcript').textContent.includes('onerror')", timeout=15_000)
    assert A.SVG in page.inner_text("#listen-transcript")
    assert "the bot is following it" in page.inner_text("#listen-transcript")  # the bot's actions, shown
    # A typed instruction the bot would not follow is answered "not understood" and never sent.
    page.fill("#whisper-text", "be a bit nicer to her")
    page.click("#whisper-send")
    page.wait_for_selector("#action-status.error", timeout=15_000)
    assert "Not understood" in page.inner_text("#action-status")
    assert page.input_value("#whisper-text") == "be a bit nicer to her"  # kept, to be reworded
    assert redis_client.llen(instruct_key(A.PLAIN_CALL)) == 0
    page.fill("#whisper-text", "offer the annual plan")
    page.click("#whisper-send")
    page.wait_for_selector("#action-status.ok", timeout=15_000)
    assert "the bot will offer this customer's discount" in page.inner_text("#action-status")
    # A typed order that ends the call asks first; declined, nothing reaches the call and the text stays.
    decline[0] = True
    page.evaluate("document.getElementById('action-status').className = ''")
    page.fill("#whisper-text", "hang up on him")
    page.click("#whisper-send")
    wait_js(page, "document.getElementById('action-status').textContent.startsWith('Not sent')", timeout=15_000)
    assert confirms[-1].startswith("Typed orders that end") and "hang up on him" in confirms[-1], confirms
    assert redis_client.llen(instruct_key(A.PLAIN_CALL)) == 1  # the offer only
    assert page.input_value("#whisper-text") == "hang up on him"
    decline[0] = False
    page.click("#whisper-send")  # asked again, confirmed this time
    page.wait_for_selector("#action-status.ok", timeout=15_000)
    for button in ("#act-transfer", "#act-barge", "#act-hang-up"):
        page.evaluate("document.getElementById('action-status').className = ''")
        page.click(button)
        page.wait_for_selector("#action-status.ok", timeout=15_000)
    sent = [json.loads(x)["text"] for x in redis_client.lrange(instruct_key(A.PLAIN_CALL), 0, -1)]
    assert sent == ["offer the annual plan", "hang up on him", "transfer now", "hang up"]
    assert json.loads(redis_client.lpop(supervise_key(A.PLAIN_CALL)))["uri"] == "sip:sue@pbx.example"
    # A whisper to the call whose id is a payload goes to that exact call.
    page.click("#listen-stop")
    page.click(f"#calls tr[data-call='{A.PLAIN_CALL}'] button.listen")
    page.evaluate("id => { document.getElementById('listen').dataset.call = id; }", A.ATTACK_CALL)
    page.evaluate("document.getElementById('action-status').className = ''")
    page.fill("#whisper-text", A.TAG + " transfer")
    page.click("#whisper-send")
    page.wait_for_selector("#action-status.ok", timeout=15_000)
    assert json.loads(redis_client.lpop(instruct_key(A.ATTACK_CALL)))["text"] == A.TAG + " transfer"
    page.screenshot(path=str(shots / "02-interventions.png"), full_page=True)
    _assert_clean(page, "interventions", alerts)

    # --- wallboard ----------------------------------------------------------------------------------
    page.goto(f"{url}/wallboard")
    page.wait_for_selector("#tile-active .tile-value")
    assert page.inner_text("#tile-active .tile-value") == "2"
    assert page.get_attribute("#tile-calls_today", "data-level") in ("ok", "amber")
    assert "400" in page.inner_text("#tile-calls_today")
    assert page.get_attribute("#tile-escalations", "data-level") == "red"
    page.screenshot(path=str(shots / "03-wallboard.png"), full_page=True)

    # --- search, recording page, QA ---------------------------------------------------------------------
    page.goto(f"{url}/recordings")
    page.wait_for_selector("#recordings tbody tr[data-call]")
    page.fill("input[name=text]", "好的")
    page.click("#search-submit")
    wait_js(page, "document.querySelectorAll('#recordings tbody tr[data-call]').length === 1")
    assert "好的 ok" in page.inner_text("#recordings")
    assert "Calls: 1 · average 4.0 s · escalated: 1" in page.inner_text("#search-summary")
    assert "text=" in page.get_attribute("#export", "href")
    _assert_clean(page, "search", alerts)
    page.screenshot(path=str(shots / "04-search.png"), full_page=True)
    page.click("#recordings a.open")
    page.wait_for_selector("#transcript li")
    assert page.evaluate("document.querySelectorAll('#transcript li').length") == 3  # bad lines skipped
    assert A.TAG in page.inner_text("#transcript") and page.query_selector("#legend .swatch")
    assert page.evaluate("document.querySelectorAll('#timeline text').length") >= 3  # axis labels
    page.click("#qa-flag")
    wait_js(page, "document.getElementById('qa-flag').dataset.flagged === 'yes'")
    page.select_option("#qa-score select[name=greeting]", "2")
    page.click("#qa-score button[type=submit]")
    wait_js(page, "document.getElementById('qa-total').textContent.includes('2')")
    page.fill("#qa-comment-text", A.ATTR)
    page.click("#qa-comment button")
    page.wait_for_selector("#qa-comments li")
    assert A.ATTR in page.inner_text("#qa-comments")
    _assert_clean(page, "recording", alerts)
    page.screenshot(path=str(shots / "05-recording-attack.png"), full_page=True)

    # A failed API call says so (with a retry), instead of an empty transcript.
    detail = f"**/api/recordings/{A.DAY}/{A.REC_PLAIN}"
    page.route(detail, lambda route: route.fulfill(status=500, content_type="application/json",
                                                   body='{"detail": "redis unavailable"}'))
    page.goto(f"{url}/recordings/{A.DAY}/{A.REC_PLAIN}")
    page.wait_for_selector("#load-error .error")
    assert "redis unavailable" in page.inner_text("#load-error") and page.query_selector("#load-error button")
    page.unroute(detail)
    page.click("#load-error button")  # retry
    page.wait_for_selector("#transcript li")

    # --- audit ---------------------------------------------------------------------------------------------
    page.goto(f"{url}/audit")
    page.wait_for_selector("#audit tbody tr")
    actions = page.evaluate("[...document.querySelectorAll('#audit tbody tr')].map(tr => tr.dataset.action)")
    assert {"whisper", "transfer", "hang_up", "barge", "flag", "score", "comment", "login"} <= set(actions)
    page.screenshot(path=str(shots / "06-audit.png"), full_page=True)

    # --- the Chinese UI -----------------------------------------------------------------------------------
    page.click("#lang-switch")
    page.wait_for_selector("text=操作审计")
    page.goto(f"{url}/live")
    wait_js(page, "document.querySelectorAll('#calls tbody tr').length === 2")
    assert "实时通话" in page.inner_text("h1") and "等待客户说话" in page.inner_text("#calls")
    page.screenshot(path=str(shots / "07-live-zh.png"), full_page=True)
    page.goto(f"{url}/wallboard")
    page.wait_for_selector("#tile-aht")
    assert "平均处理时长" in page.inner_text("#tiles")
    page.screenshot(path=str(shots / "08-wallboard-zh.png"), full_page=True)
    seed_campaign(redis_client)
    page.goto(f"{url}/campaigns")
    page.wait_for_selector("#cards .card")
    assert "接通率" in page.inner_text("#cards") and "connect_rate" not in page.inner_text("main")
    page.fill("#agents-available", "2")
    page.click("#agents-form button[type=submit]")
    page.wait_for_selector("text=控制台设定")
    assert redis_client.get("voicebot:agents:free") == "2"
    page.click("#campaign-toggle")  # running -> paused, from the UI
    wait_js(page, "document.getElementById('campaign-status').textContent === '已暂停'")
    page.screenshot(path=str(shots / "09-campaigns-zh.png"), full_page=True)
    page.goto(f"{url}/recordings/{A.DAY}/{A.REC_PLAIN}")
    page.wait_for_selector("#transcript li")
    assert "通话转写" in page.inner_text("main")
    page.screenshot(path=str(shots / "10-recording-zh.png"), full_page=True)
    _assert_clean(page, "zh pages", alerts)
    ctx.close()


def _viewer_pass(browser, url: str, shots: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    _login(page, url, "vic")
    wait_js(page, "document.querySelectorAll('#calls tbody tr').length === 2", timeout=10_000)
    seen = [page.content()]
    page.goto(f"{url}/recordings")
    page.wait_for_selector("#recordings tbody tr[data-call]")
    seen.append(page.content())
    page.goto(f"{url}/recordings/{A.DAY}/{A.REC_PLAIN}")
    page.wait_for_selector("#transcript li")
    seen.append(page.content())
    page.screenshot(path=str(shots / "11-recording-viewer.png"), full_page=True)
    text = "\n".join(seen)
    for number in A.NUMBERS:
        assert number not in text, number
    assert "***" in text and A.NOT_NUMBERS[0] in text and A.NOT_NUMBERS[1] in text
    assert page.query_selector("#player") is None and page.query_selector("#qa-flag") is None
    assert ctx.request.get(f"{url}/audit").status == 403
    _assert_clean(page, "viewer", alerts)
    ctx.close()


def _cross_site_pass(browser, url: str, shots: Path) -> None:
    attacker, attacker_url = _attacker_site(url)
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = ctx.new_page()
        _login(page, url, "sue")
        page.goto(attacker_url)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shots / "12-attacker-page.png"))
        for frame in page.frames[1:]:
            try:
                assert frame.query_selector("#calls") is None, "the console was framed"
            except Exception as exc:  # a blocked frame has no document to query: that is the point
                assert "calls" not in str(exc)
        me = ctx.request.get(f"{url}/api/me")
        assert me.status == 200 and me.json()["user"] == "sue"  # neither logged out nor switched to vic
    finally:
        ctx.close()
        attacker.shutdown()


def _lockout_pass(browser, url: str, shots: Path) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(f"{url}/login")
    for _ in range(10):
        page.fill("#username", "sue")
        page.fill("#password", "guess-again")
        page.click("#login")
        page.wait_for_selector("#login-error")
    assert "Too many wrong passwords" in page.inner_text("#login-error")
    page.fill("#username", "sue")
    page.fill("#password", PASSWORDS["sue"])
    page.click("#login")
    assert "Too many wrong passwords" in page.inner_text("#login-error")
    response = ctx.request.get(f"{url}/login")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.screenshot(path=str(shots / "13-lockout.png"))
    ctx.close()
