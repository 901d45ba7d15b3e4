"""Campaign controls in Debian's Chromium: a supervisor sets pacing and calling hours on the campaign
page in Chinese and in English; a bad value is shown naming its field (the input marked), a good one
is stored where the workers read it; a viewer gets no form. Screenshots: tests/artifacts/console-controls/."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from voicebot.campaign import keys

from .campaign_seed import CAMPAIGN, seed_campaign
from .conftest import console_settings
from .test_console_attack_browser import ARGS, CHROMIUM, Served, _login, wait_js


def _save(page) -> str:
    page.evaluate("document.getElementById('controls-msg').textContent = ''")
    page.click("#controls-form button[type=submit]")
    wait_js(page, "document.getElementById('controls-msg').textContent !== ''", timeout=10_000)
    return page.inner_text("#controls-msg")


def test_campaign_controls_in_both_languages_and_hidden_from_viewers(tmp_path, redis_client, artifacts):
    from voicebot.supervisor.app import create_app

    shots = artifacts / "console-controls"
    shots.mkdir(exist_ok=True)
    seed_campaign(redis_client)
    meta = keys.CampaignKeys(CAMPAIGN).meta
    app = create_app(console_settings(tmp_path), redis_client)
    with Served(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = ctx.new_page()
        _login(page, url, "sue", "/campaigns")
        wait_js(page, "document.getElementById('ctl-bot_channels').value !== ''", timeout=10_000)
        assert "拨打节奏" in page.inner_text("#controls-form") and "呼叫时段" in page.inner_text("#controls-form")
        assert page.input_value("#ctl-calling_hours_start") == "09:00"
        page.fill("#ctl-bot_channels", "0")
        assert _save(page).startswith("同时外呼路数：须在 1 到 500 之间")
        assert page.get_attribute("#ctl-bot_channels", "aria-invalid") == "true"
        page.fill("#ctl-bot_channels", "3")
        page.fill("#ctl-calling_hours_start", "18:00")
        page.fill("#ctl-calling_hours_end", "09:00")
        assert _save(page) == "呼叫时段结束：结束时间 09:00 必须晚于开始时间 18:00"
        assert page.get_attribute("#ctl-calling_hours_end", "aria-invalid") == "true"
        page.screenshot(path=str(shots / "01-zh-error.png"), full_page=True)
        assert redis_client.hget(meta, "bot_channels") is None  # nothing stored from a refused form
        page.fill("#ctl-calling_hours_start", "10:00")
        page.fill("#ctl-calling_hours_end", "18:30")
        assert _save(page) == "已保存，从下一通电话起按新设置外呼。"
        assert redis_client.hmget(meta, ["bot_channels", "calling_hours_start", "calling_hours_end"]) == [
            "3", "10:00", "18:30"]
        wait_js(page, "document.getElementById('campaign-rules').textContent.includes('10:00')", timeout=10_000)
        wait_js(page, "document.getElementById('ctl-hours-src').textContent === '本任务单独设置'", timeout=10_000)
        page.screenshot(path=str(shots / "02-zh-saved.png"), full_page=True)
        # English: the same form and messages.
        page.context.add_cookies([{"name": "vb_lang", "value": "en-US", "url": url}])
        page.reload()
        wait_js(page, "document.getElementById('ctl-bot_channels').value === '3'", timeout=10_000)
        assert "Pacing" in page.inner_text("#controls-form") and "Calling hours" in page.inner_text("#controls-form")
        page.fill("#ctl-calling_hours_end", "7pm")
        assert _save(page) == 'Calling hours end: "7pm" is not a time like 09:00'
        page.click("#controls-reset")
        wait_js(page, "document.getElementById('controls-msg').textContent.startsWith('Saved')", timeout=10_000)
        # The form re-reads the controls after "Saved": wait for the source label to follow.
        wait_js(page, "document.getElementById('ctl-hours-src').textContent === 'system default'", timeout=10_000)
        assert redis_client.hget(meta, "bot_channels") is None
        page.screenshot(path=str(shots / "03-en-reset.png"), full_page=True)
        page.goto(f"{url}/audit")  # who changed what, from which value to which
        wait_js(page, "document.querySelectorAll('#audit tbody tr[data-action=campaign_controls]').length === 2",
                timeout=10_000)
        rows = page.inner_text("#audit tbody")
        assert "Simultaneous calls: 8 → 3" in rows and "Calling hours end: 20:00 → 18:30" in rows
        assert "Simultaneous calls: 3 → 8" in rows  # the reset
        ctx.close()
        # A viewer: no form, and the API refuses even with the viewer's own CSRF token.
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        _login(page, url, "vic", "/campaigns")
        wait_js(page, "document.getElementById('campaign-rules').textContent !== ''", timeout=10_000)
        assert page.query_selector("#controls-form") is None
        status = page.evaluate("""async name => (await fetch(`/api/campaigns/${name}/controls`, {method: 'POST',
          headers: {'Content-Type': 'application/json',
                    'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
          body: JSON.stringify({bot_channels: 50})})).status""", CAMPAIGN)
        assert status == 403 and redis_client.hget(meta, "bot_channels") is None
        browser.close()
