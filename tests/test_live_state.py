"""A live call's row folded from its events (the worker's hash and the console's stream fold alike)."""

from __future__ import annotations

from voicebot.store.live_state import LiveCall, apply_event


def _fold(*events: dict) -> LiveCall:
    row = LiveCall("c1")
    for event in events:
        assert apply_event(row, event) is row
    return row


def test_a_call_from_start_to_end():
    row = _fold(
        {"type": "call_started", "ts": 10, "worker": "w1", "direction": "outbound", "remote": "sip:1",
         "locale": "zh-CN", "customer": {"segment": "vip", "name": "王"}},
        {"type": "call_answered", "ts": 12, "remote": ""},
        {"type": "partial_transcript", "ts": 13, "text": "喂"},
        {"type": "user_turn", "ts": 14, "text": "喂，你好"},
        {"type": "bot_turn", "ts": 15, "text": "您好"},
        {"type": "reply_latency", "ts": 15, "latency_ms": 640},
        {"type": "emotion", "ts": 16, "label": "angry", "confidence": "0.8"},
        {"type": "emotion", "ts": 17, "label": "angry", "confidence": 0.9},
        {"type": "tag", "ts": 18, "tags": ["complaint", "vip", "opt_out"]},
        {"type": "escalation", "ts": 19, "reason": "anger"},
        {"type": "call_ended", "ts": 30, "worker": "w2", "outcome": {"escalation": "anger", "status": "done"}},
    )
    assert (row.worker, row.direction, row.remote, row.locale, row.segment) == ("w2", "outbound", "sip:1", "zh-CN", "vip")
    assert (row.started, row.answered, row.ended, row.state) == (10.0, 12.0, 30.0, "ended")
    assert [u["who"] for u in row.utterances] == ["callee", "bot"] and row.partial == ""
    assert row.last_latency_ms == 640 and (row.emotion, row.emotion_confidence) == ("angry", 0.9)
    assert row.flags == ["emotion: angry", "tag: complaint", "tag: opt_out", "escalation: anger"]
    assert row.outcome == {"escalation": "anger", "status": "done"} and not row.live


def test_transfers_states_and_the_last_utterances():
    row = _fold({"type": "call_answered", "ts": 5, "remote": "sip:2"},
                *({"type": "user_turn", "ts": 6 + i, "text": str(i)} for i in range(6)),
                {"type": "partial_transcript", "ts": 20, "text": "我想"},
                {"type": "bot_turn", "ts": 21, "text": "好的"})
    assert row.started == 5.0 and row.remote == "sip:2" and row.state == "talking"  # started from the first event
    assert [u["text"] for u in row.utterances] == ["3", "4", "5", "好的"] and row.partial == "我想"
    apply_event(row, {"type": "transfer", "ts": 22, "target": "sip:agent"})
    assert row.state == "transferring" and row.with_agent and row.flags == ["transfer: sip:agent"]
    apply_event(row, {"type": "transfer_result", "ts": 23, "ok": False})
    assert row.state == "talking"
    apply_event(row, {"type": "transfer_result", "ts": 24, "ok": False})
    apply_event(row, {"type": "state", "ts": 25, "state": "closing"})
    apply_event(row, {"type": "emotion", "ts": 26, "label": "calm", "confidence": None})
    apply_event(row, {"type": "unknown", "ts": 27})
    assert row.state == "closing" and row.emotion == "calm" and row.emotion_confidence == 0.0
    assert row.flags == ["transfer: sip:agent"] and row.last_latency_ms is None
