"""In Debian's Chromium, a zh-CN supervisor's pages read in Chinese: the login page, live board,
wallboard, recordings (list and one recording), campaigns and audit show no English word beyond a
short explicit allow-list (product terms a Chinese call centre uses as they are), including the
error a refused request puts on the page."""

from __future__ import annotations

import re
import time

from playwright.sync_api import sync_playwright

from voicebot.campaign import keys
from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink

from .conftest import console_settings, write_recording
from .test_console_attack_browser import ARGS, CHROMIUM, Served, _login, wait_js

# Terms Chinese call centres write in Latin letters; the language switch, which names English in
# English; intent grades A-D; and the logged-in user's own name.
ALLOWED = {"SIP", "CSV", "WAV", "KPI", "CSAT", "AHT", "English", "A", "B", "C", "D", "sue"}
WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
ID_OR_NUMBER = re.compile(r"\b[\w.:/@+-]*\d[\w.:/@+-]*\b")  # call ids, dates, times, numbers


def english_words(text: str) -> set[str]:
    return {w for w in WORD.findall(ID_OR_NUMBER.sub(" ", text)) if w not in ALLOWED}


def _seed(settings, redis_client) -> str:
    day = time.strftime("%Y-%m-%d")
    write_recording(settings.paths.recordings_dir, day, "rec1",
                    {"started": time.time() - 600, "duration_s": 42.0, "direction": "outbound",
                     "remote": "sip:+8613812345678@pbx", "customer": {"name": "王先生", "segment": "老客户"},
                     "outcome": {"answered_by": "human", "intent_grade": "A"}},
                    [{"who": "bot", "text": "您好，这里是客服中心。", "start": 0.0, "end": 2.0},
                     {"who": "callee", "text": "你好，请问有什么事？", "start": 2.5, "end": 4.0}])
    redis_client.sadd(keys.CAMPAIGNS, "春季回访")
    redis_client.hset(keys.CampaignKeys("春季回访").meta, mapping={"status": "running", "created": "1772000000"})
    sink = RedisEventSink(redis_client, worker="w1")
    sink(CallEvent("call_started", "zh-call", {"direction": "inbound", "remote": "sip:+8613912345678@pbx",
                                               "customer": {"name": "周女士", "segment": "会员"}}))
    sink(CallEvent("call_answered", "zh-call", {}))
    sink(CallEvent("user_turn", "zh-call", {"text": "我想问一下账单"}))
    sink(CallEvent("emotion", "zh-call", {"label": "angry", "confidence": 0.9}))
    sink.close()
    return day


def test_zh_pages_show_no_english(tmp_path, redis_client, artifacts):
    from voicebot.supervisor.app import create_app

    shots = artifacts / "console_zh"
    shots.mkdir(exist_ok=True)
    settings = console_settings(tmp_path)
    settings.campaign.human_agents = 4
    day = _seed(settings, redis_client)
    app = create_app(settings, redis_client)
    found: dict[str, set[str]] = {}
    with Served(app) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = ctx.new_page()

        def look(name: str) -> str:
            text = page.evaluate("document.body.innerText")
            found[name] = english_words(text)
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            return text

        page.goto(f"{url}/login?next=/live")
        assert "登录" in look("login")
        _login(page, url, "sue", "/live")
        wait_js(page, "document.querySelector('#calls tr[data-call=\"zh-call\"]') !== null", timeout=10_000)
        assert "周女士" in look("live")
        page.goto(f"{url}/wallboard")
        wait_js(page, "document.querySelectorAll('#tiles > *').length > 3", timeout=10_000)
        assert "空闲人工坐席" in look("wallboard")
        page.goto(f"{url}/recordings")
        wait_js(page, "document.querySelectorAll('#recordings tbody tr').length > 0", timeout=10_000)
        assert "王先生" in look("recordings")
        page.goto(f"{url}/recordings/{day}/rec1")
        wait_js(page, "document.body.innerText.includes('客服中心')", timeout=10_000)
        look("recording")
        page.goto(f"{url}/campaigns")
        page.select_option("#campaign", "春季回访")
        page.dispatch_event("#campaign", "change")
        wait_js(page, "document.getElementById('campaign-status').textContent !== ''", timeout=10_000)
        look("campaigns")
        page.goto(f"{url}/audit")
        wait_js(page, "document.querySelectorAll('#audit tbody tr').length > 0", timeout=10_000)
        look("audit")
        # A refusal shown on the page reads in Chinese too (the API's detail, as the page puts it).
        refused = page.evaluate("VB.api('GET', '/api/recordings?sort=upside').then(() => '', e => e.message)")
        assert "不支持这种排序方式" in refused and not english_words(refused.replace("upside", "")), refused
        ctx.close()
        browser.close()
    assert found == {name: set() for name in found}, found
