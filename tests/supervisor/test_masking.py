"""The one phone-masking rule (voicebot.masking), in both directions, and its users: logs, console."""

from __future__ import annotations

import io
import json
import sys

import pytest

from voicebot.masking import PHONE_PATTERNS, mask_text, mask_uri, mask_value

MASKED = [
    ("call 415-555-0123 now", "call 415-***-**23 now"),
    ("+1 415 555 0123", "+1 4** *** **23"),
    ("(415) 555-0123", "(415) ***-**23"),
    ("415.555.0123", "415.***.**23"),
    ("138 1234 5678", "138 **** **78"),
    ("13812345678", "138******78"),
    ("+86 138 1234 5678", "+86 *** **** **78"),
    ("My number is 415 550 123", "My number is 415 *** *23"),
    ("我的号码是一三八一二三四五六七八", "我的号码是一三八******七八"),
    ("幺三八 幺二三四 五六七八", "幺三八 **** **七八"),
    ("我的手机13812345678谢谢", "我的手机138******78谢谢"),
    ("号码１３８１２３４５６７８", "号码１３８******７８"),  # full-width digits
    ("幺三八 1234 5678", "幺三八 **** **78"),  # Chinese and Arabic digits mixed
    ("call +1 (415) 555-0123 ext 12", "call +1 (4**) ***-**** ext 12"),  # the extension is part of it
]
KEPT = ["2025年3月24日前付100元", "二〇二五年三月二十四日", "价格是一百二十元", "order total 1,299.00 元", "2025-03-24 10:30:00",
        "host 192.168.100.200:5060", "extension 1001", "call-3f9a1234567b", "3.5% off, 12 months", "50000元",
        "took 0.123456789 s", "at 1732901234.567"]


@pytest.mark.parametrize("text,expected", MASKED)
def test_numbers_are_masked(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_amounts_dates_and_ids_are_not(text):
    assert mask_text(text) == text


def test_uris_and_nested_values():
    assert mask_uri("sip:13812345678@pbx.example.com:5060") == "sip:138******78@pbx.example.com:5060"
    assert mask_uri("sip:1001@pbx") == "sip:1001@pbx"
    value = {"call_id": "13812345678", "customer": {"name": "王 138 1234 5678"}, "lines": ["415-555-0123"]}
    assert mask_value(value) == {"call_id": "13812345678", "customer": {"name": "王 138 **** **78"},
                                 "lines": ["415-***-**23"]}
    assert set(PHONE_PATTERNS) == {"digits with separators", "letter prefix"}  # one table


def test_logs_use_the_same_rule(monkeypatch):
    from voicebot.logs import configure_logging, get_logger

    buf = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buf)
    configure_logging("INFO", json_output=True)
    get_logger("t").info("said", text="call me on (415) 555-0123 or 一三八一二三四五六七八", call_id="c13812345678",
                         amount="2025年3月24日前付100元")
    line = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert line["text"] == mask_text("call me on (415) 555-0123 or 一三八一二三四五六七八")
    assert "555-0123" not in line["text"] and "四五六" not in line["text"]
    assert line["call_id"] == "c13812345678" and line["amount"] == "2025年3月24日前付100元"
