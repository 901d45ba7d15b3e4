"""Hostile data for the console's attack pass: payloads in every field a worker, a transcript file or a
user can put on a page, phone numbers in every format for the viewer check, and malformed records."""

from __future__ import annotations

import json
from pathlib import Path

from voicebot.session.events import CallEvent
from voicebot.store.events import EVENTS_STREAM, RedisEventSink

from .conftest import write_recording

# Each payload, if it ever ran, sets window.__pwned (and may alert): the browser test looks for both.
ATTR = 'q" onmouseover="window.__pwned=1;alert(1)" style="position:fixed;left:0;top:0;width:100%;height:100%" x="'
SINGLE = "q' onmouseover='window.__pwned=1' x='"
TAG = '<img src=x onerror="window.__pwned=1;alert(1)">'
SVG = '<svg onload="window.__pwned=1"><circle r=9 /></svg>'
SCRIPT = '</script><script>window.__pwned=1</script>'
TEMPLATE = '${window.__pwned=1}{{7*7}}'
JSURL = 'javascript:window.__pwned=1//'
PAYLOADS = (ATTR, SINGLE, TAG, SVG, SCRIPT, TEMPLATE, JSURL)

NUMBERS = ("415-555-0123", "+1 415 555 0123", "(415) 555-0123", "415.555.0123", "138 1234 5678",
           "一三八一二三四五六七八", "幺三八幺二三四五六七八", "415 550 123", "１３８１２３４５６７８", "幺三八 1234 5678",
           "+8613812345678")
NOT_NUMBERS = ("100元", "2025年3月24日")

ATTACK_CALL = ATTR  # a call id is a payload too
PLAIN_CALL = "live-plain-1"
DAY = "2026-03-04"
REC_ATTACK = "rec-attack"
REC_PLAIN = "rec-plain"


def seed_live(client) -> None:
    # No process renews these calls' leases once the sink closes: an hour covers the whole module.
    sink = RedisEventSink(client, worker=TEMPLATE, live_ttl_s=3600)
    sink(CallEvent("call_started", ATTACK_CALL, {
        "direction": ATTR, "remote": f'"{TAG}" <sip:{SINGLE}@pbx>', "locale": SVG,
        "customer": {"name": TAG + SVG, "segment": SCRIPT, "phone": NUMBERS[0]}}))
    sink(CallEvent("call_answered", ATTACK_CALL, {"codec": "PCMU"}))
    sink(CallEvent("user_turn", ATTACK_CALL, {"text": TAG + " " + ATTR}))
    sink(CallEvent("bot_turn", ATTACK_CALL, {"text": SVG + SCRIPT}))
    sink(CallEvent("partial_transcript", ATTACK_CALL, {"text": SINGLE + JSURL}))
    sink(CallEvent("emotion", ATTACK_CALL, {"label": ATTR, "confidence": 0.9}))
    sink(CallEvent("escalation", ATTACK_CALL, {"reason": TAG}))
    sink(CallEvent("transfer", ATTACK_CALL, {"reason": ATTR, "target": SVG}))
    sink(CallEvent("tag", ATTACK_CALL, {"tags": ["complaint"]}))
    sink(CallEvent("state", ATTACK_CALL, {"state": ATTR}))
    # A call whose fields hold every phone-number format (the viewer must see none of them whole).
    sink(CallEvent("call_started", PLAIN_CALL, {
        "direction": "inbound", "remote": f"sip:{NUMBERS[-1]}@pbx.example.com", "locale": "zh-CN",
        "customer": {"name": f"王女士 {NUMBERS[4]}", "segment": "new_lead"}}))
    sink(CallEvent("call_answered", PLAIN_CALL, {"codec": "PCMU"}))
    for i, number in enumerate(NUMBERS[:4]):
        sink(CallEvent("user_turn" if i % 2 == 0 else "bot_turn", PLAIN_CALL, {"text": f"My number is {number}"}))
    sink(CallEvent("user_turn", PLAIN_CALL, {"text": f"我的号码是{NUMBERS[5]}，{NOT_NUMBERS[1]}前付{NOT_NUMBERS[0]}"}))
    sink(CallEvent("partial_transcript", PLAIN_CALL, {"text": f"或者打{NUMBERS[6]}或 {NUMBERS[7]}"}))
    sink(CallEvent("state", PLAIN_CALL, {"state": "listening"}))
    assert sink.flush()
    sink.close()
    # Malformed records another worker (or an old version) might write: skipped, never a 500.
    client.xadd(EVENTS_STREAM, {"json": json.dumps({"type": "emotion", "call_id": PLAIN_CALL, "ts": "abc"})})
    client.xadd(EVENTS_STREAM, {"json": "{not json"})
    client.xadd(EVENTS_STREAM, {"json": json.dumps([1, 2, 3])})
    client.xadd(EVENTS_STREAM, {"json": json.dumps({"type": "call_started", "call_id": PLAIN_CALL, "customer": "x"})})


def seed_recordings(root: Path) -> None:
    write_recording(root, DAY, REC_ATTACK, {
        "remote": f"sip:{ATTR}@pbx", "customer": {"name": TAG, "note": SVG}, "segment": ATTR, "variant": SCRIPT,
        "outcome": {"answered_by": SVG, "escalation": ATTR, "tags": [TAG, SINGLE], "intent_grade": "B",
                    "transfer": {"ok": False, "reason": ATTR}, "duration_s": 4.0, "hangup_reason": JSURL}},
        [{"who": ATTR, "text": "who is a payload", "start": 0.1, "end": 0.5},
         {"who": "callee", "text": "start is a payload", "start": ATTR, "end": 1.0},
         {"who": "callee", "text": "start is a list", "start": [1], "end": 1.0},
         {"who": "callee", "text": "start is missing"},
         {"who": "callee", "text": TAG + " " + TEMPLATE, "start": 0.2, "end": 1.0, "emotion": ATTR},
         {"who": "bot", "text": SVG + SCRIPT, "start": "1.5", "end": 2.5, "interrupted": True},
         {"who": "callee", "text": "好的 ok", "start": 3, "end": 4, "emotion": "angry"}], seconds=4.0)
    write_recording(root, DAY, REC_PLAIN, {
        "remote": f"sip:{NUMBERS[-1]}@pbx", "customer": {"name": f"Ada {NUMBERS[1]}", "segment": "vip"},
        "segment": "vip", "variant": "B",
        "outcome": {"answered_by": "human", "intent_grade": "A", "duration_s": 2.0, "intents": ["price"],
                    "emotions": [{"label": "calm"}]}},
        [{"who": "callee", "text": f"call me on {n}", "start": i * 0.2, "end": i * 0.2 + 0.15}
         for i, n in enumerate(NUMBERS)]
        + [{"who": "bot", "text": f"{NOT_NUMBERS[1]}前付{NOT_NUMBERS[0]}即可", "start": 2.0, "end": 2.1}], seconds=2.0)
