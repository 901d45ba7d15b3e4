"""In Debian's Chromium: a long call stays on the live board with its customer after 6,000 later events,
the audit page pages over the whole trail (zh-CN), a campaign named with "/" loads on the campaign
page, and a viewer's recording page has no comment form."""

from __future__ import annotations

import time

from playwright.sync_api import sync_playwright

from voicebot.campaign import keys
from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink
from voicebot.supervisor import audit

from .conftest import console_settings, write_recording
from .test_console_attack_browser import ARGS, CHROMIUM, Served, _login, wait_js

ROWS = "document.querySelectorAll('#audit tbody tr').length"


def test_audit_pages_slashed_campaign_and_viewer_without_comment_form(tmp_path, redis_client, artifacts):
    from voicebot.supervisor.app import create_app

    shots = artifacts / "console2"
    shots.mkdir(exist_ok=True)
    settings = console_settings(tmp_path)
    day = time.strftime("%Y-%m-%d")
    write_recording(settings.paths.recordings_dir, day, "rec1", {"started": time.time()}, [])
    for i in range(229):
        audit.record(redis_client, audit.AuditEntry("login_refused", f"u{i}"))
    redis_client.sadd(keys.CAMPAIGNS, "华东/二月")
    redis_client.hset(keys.CampaignKeys("华东/二月").meta, mapping={"status": "running", "created": "1772000000"})
    sink = RedisEventSink(redis_client, worker="w1")
    sink(CallEvent("call_started", "long-call", {"direction": "outbound", "remote": "sip:+8613912345678@pbx",
                                                 "customer": {"name": "周女士", "segment": "vip"}}))
    sink(CallEvent("call_answered", "long-call", {}))
    for i in range(6000):  # other calls' events: the long call's first ones are far behind
        sink(CallEvent("partial_transcript", f"other-{i % 15}", {"text": "嗯"}))
    sink.close()
    app = create_app(settings, redis_client)
    with Served(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = ctx.new_page()
        _login(page, url, "sue", "/live")
        wait_js(page, "document.querySelector('#calls tr[data-call=\"long-call\"]') !== null", timeout=10_000)
        row = page.inner_text('#calls tr[data-call="long-call"]')
        assert "周女士" in row and "通话中" in row and "振铃" not in row, row
        page.goto(f"{url}/audit")
        wait_js(page, f"{ROWS} === 100", timeout=10_000)
        assert page.inner_text("#audit-page") == "第 1 页" and page.is_disabled("#audit-newer")
        first = page.inner_text("#audit tbody tr:first-child")
        page.click("#audit-older")
        wait_js(page, "document.getElementById('audit-page').textContent === '第 2 页'", timeout=10_000)
        page.click("#audit-older")
        wait_js(page, f"{ROWS} === 30", timeout=10_000)  # 229 refused logins + sue's login = 230
        assert page.is_disabled("#audit-older") and "更早记录" in page.inner_text(".pager")
        assert "u0" in page.inner_text("#audit tbody tr:last-child")  # the oldest entry is reachable
        page.screenshot(path=str(shots / "01-audit-last-page.png"), full_page=True)
        page.click("#audit-newer")
        page.click("#audit-newer")
        wait_js(page, "document.getElementById('audit-page').textContent === '第 1 页'", timeout=10_000)
        assert page.inner_text("#audit tbody tr:first-child") == first
        page.goto(f"{url}/campaigns")
        page.select_option("#campaign", "华东/二月")
        page.dispatch_event("#campaign", "change")
        wait_js(page, "document.getElementById('campaign-status').textContent !== ''", timeout=10_000)
        assert page.inner_text("#campaign-error") == ""
        ctx.close()
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        _login(page, url, "vic", f"/recordings/{day}/rec1")
        wait_js(page, "document.getElementById('qa-flag-status') !== null", timeout=10_000)
        assert page.query_selector("#qa-comment") is None and page.query_selector("#qa-comment-text") is None
        ctx.close()
        browser.close()
