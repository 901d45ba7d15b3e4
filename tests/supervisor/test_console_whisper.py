"""A typed whisper is checked with the bot's own instruction table before it is sent: one the bot
would follow goes to the call with what the bot will do; anything else is answered "not understood"
in the supervisor's language, audited, and never reaches the call."""

from __future__ import annotations

import json
from contextlib import contextmanager

from fastapi.testclient import TestClient

from voicebot.supervisor.channel import instruct_key

from . import attack_seed as A
from .conftest import csrf_of, login


@contextmanager
def _supervisor_on_a_live_call(console_app, redis_client):
    """Sue logged in, with her CSRF header, while the seeded calls are live."""
    app, _ = console_app
    A.seed_live(redis_client)
    with TestClient(app) as sup:
        login(sup, "sue")
        yield sup, {"x-csrf-token": csrf_of(sup)}


def test_typed_whisper_understood_or_refused_before_it_reaches_the_call(console_app, redis_client):
    cid = A.PLAIN_CALL
    url = f"/api/calls/{cid}/whisper"
    with _supervisor_on_a_live_call(console_app, redis_client) as (sup, h):
        r = sup.post(url, json={"text": "be a bit nicer to her"}, headers=h)
        assert r.status_code == 422 and r.json()["not_understood"] is True
        assert r.json()["detail"].startswith("Not understood: nothing was sent to the call.")
        assert sup.post(url, json={"text": "don't hang up"}, headers=h).status_code == 422
        assert redis_client.llen(instruct_key(cid)) == 0  # nothing reached the call
        sup.cookies.set("vb_lang", "zh-CN")
        r = sup.post(url, json={"text": "说点别的"}, headers=h)
        assert r.status_code == 422 and r.json()["detail"].startswith("没看懂这条指令，没有发给通话。")
        r = sup.post(url, json={"text": "给他优惠券"}, headers=h)
        assert r.json() == {"ok": True, "sent": "给他优惠券", "order": "offer", "order_label": "介绍这位客户的优惠"}
        assert sup.post(url, json={"text": "问他什么时候方便"}, headers=h).json()["order"] == "ask_callback"
        sup.cookies.set("vb_lang", "en-US")
        assert sup.post(url, json={"text": "wrap up politely"}, headers=h).json()["order_label"] == "wrap up politely"
        sent = [json.loads(x)["text"] for x in redis_client.lrange(instruct_key(cid), 0, -1)]
        assert sent == ["给他优惠券", "问他什么时候方便", "wrap up politely"]
        entries = sup.get("/api/audit").json()["entries"]
    whispers = [(e["action"], e["detail"].get("order")) for e in entries if e["action"].startswith("whisper")]
    assert whispers == [("whisper", "wrap_up"), ("whisper", "ask_callback"), ("whisper", "offer"),
                        ("whisper_not_understood", None), ("whisper_not_understood", None),
                        ("whisper_not_understood", None)]


def test_a_typed_hang_up_or_transfer_waits_for_the_supervisors_yes(console_app, redis_client):
    """Typed text that ends or hands over the call is not carried out on the first send: the answer
    (409) says what the bot would do, the page asks, and only the confirmed resend reaches the call."""
    cid = A.PLAIN_CALL
    url = f"/api/calls/{cid}/whisper"
    with _supervisor_on_a_live_call(console_app, redis_client) as (sup, h):
        for text, order in (("hang up, he is rude", "hang_up"), ("put him through to an agent", "transfer"),
                            ("转人工", "transfer"), ("直接挂断", "hang_up")):
            r = sup.post(url, json={"text": text}, headers=h)
            assert r.status_code == 409 and r.json()["needs_confirmation"] is True and r.json()["order"] == order, r.text
            assert text in r.json()["detail"]
        assert redis_client.llen(instruct_key(cid)) == 0  # nothing reached the call unconfirmed
        sup.cookies.set("vb_lang", "zh-CN")
        r = sup.post(url, json={"text": "直接挂断"}, headers=h)
        assert r.json()["detail"].startswith("这条指令会让机器人挂断")
        r = sup.post(url, json={"text": "直接挂断", "confirmed": True}, headers=h)
        assert r.status_code == 200 and r.json()["order"] == "hang_up"
        # Orders that keep the call going are not held up.
        assert sup.post(url, json={"text": "给他优惠券"}, headers=h).status_code == 200
        sent = [json.loads(x)["text"] for x in redis_client.lrange(instruct_key(cid), 0, -1)]
        entries = sup.get("/api/audit").json()["entries"]
    assert sent == ["直接挂断", "给他优惠券"]
    assert [e["detail"].get("order") for e in entries if e["action"] == "whisper"] == ["offer", "hang_up"]
