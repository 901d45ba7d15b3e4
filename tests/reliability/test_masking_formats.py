"""Issue #20 item 4 and #22 item 2: one masking rule (voicebot.pii + voicebot.masking.mask_text) that
sees digits through any punctuation ASR writes, full-width and Chinese digits (幺), %-escapes and
letter prefixes, masks 15-19 digit runs and 17 digits + X even when the check digit fails, and
leaves Redis stream ids, times and amounts alone. Applied to logs, the Redis event stream, stored
transcripts (mask_transcripts) and the recording sidecars. Real redis-server for the stream."""

from __future__ import annotations

import io
import json
import re
import sys

import pytest

from voicebot.masking import mask_text, mask_value
from voicebot.pii import digit_view

# (what ASR / a URI wrote, the digits that must not survive)
LEAKS = [
    ("Whisper heard 139,5712,5678 just now", "13957125678"),
    ("身份证133010619850312231", "133010619850312231"),  # an ID whose check digit fails (one digit misheard)
    ("卡号1622221234567890128", "1622221234567890128"),  # a card number that fails Luhn
    ("我的号码是138，1234，5678", "13812345678"),
    ("call me at 415, 555, 0123 please", "4155550123"),
    ("一三八、一二三四、五六七八", "13812345678"),
    ("幺三八，幺二三四，五六七八", "13812345678"),
    ("卡号是6222，0212，3456，7890，123", "6222021234567890123"),
    ("sip:%2B8613912340000@10.0.0.5", "8613912340000"),
    ("TEL13912345678", "13912345678"),
    ("tel13912345678 is mine", "13912345678"),
    ("ID 13301061985031223X ok", "13301061985031223"),
    ("１３８．１２３４．５６７８", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("1 3 8 1 2 3 4 5 6 7 8", "13812345678"),
    ("身份证三三零一零六一九八五零三一二二二三一", "330106198503122231"),
    ("sip:%31%33%39%31%32%33%34%30%30%30%30@pbx", "13912340000"),
]
KEPT = ["stream id 1790000000000-0 acked", "last_id=1790000000000-12", "会议在12:30开始", "付了1,299,000元",
        "价格100，200，300，400，500元", "2026-03-03 10:30:00", "总共￥12345.50", "3月5号下午三点", "host 10.0.0.5:5060",
        "第1、2、3、4、5、6、7题", "call-3f9a1234567b"]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", digit_view(text))


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _longest_run_kept(secret: str, out: str) -> int:
    """The longest piece of the secret's digits still readable in order in the output."""
    digits = _digits(out)
    return max((n for n in range(len(secret) + 1) for i in range(len(secret) - n + 1) if secret[i:i + n] in digits),
               default=0)


@pytest.mark.parametrize("text,secret", LEAKS)
def test_every_format_is_masked(text, secret):
    out = mask_text(text)
    assert out != text
    assert _longest_run_kept(secret, out) <= 4, out  # at most a head or a tail of a few digits


@pytest.mark.parametrize("text", KEPT)
def test_stream_ids_times_and_amounts_are_not_mangled(text):
    assert mask_text(text) == text


def test_the_percent_encoded_uri_keeps_its_shape():
    assert mask_text("sip:%2B8613912340000@10.0.0.5") == "sip:%2B86*********00@10.0.0.5"
    assert mask_text("TEL13912345678") == "TEL139******78"


def test_logs_mask_every_format_but_keep_stream_ids(monkeypatch):
    from voicebot.logs import configure_logging, get_logger

    buf = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buf)
    configure_logging("INFO", json_output=True)
    said = " / ".join(t for t, _ in LEAKS)
    get_logger("t").info("user_turn", text=said, note="stream 1790000000000-0")
    line = json.loads(buf.getvalue().strip().splitlines()[-1])
    for _, secret in LEAKS:
        assert _longest_run_kept(secret, line["text"]) <= 4, secret
    assert line["note"] == "stream 1790000000000-0"


def test_the_redis_event_stream_holds_no_raw_number(redis_client):
    from voicebot.session.events import CallEvent
    from voicebot.store.events import EVENTS_STREAM, RedisEventSink, call_key

    sink = RedisEventSink(redis_client)
    said = "我的卡号6222，0212，3456，7890，123，手机138，1234，5678"
    sink(CallEvent("user_turn", "c1", {"text": said}))
    sink(CallEvent("call_ended", "c1", {"outcome": {"unanswered_questions": ["打139,5712,5678行吗"]}}))
    assert sink.flush()
    sink.close()
    # Each stored value on its own: digits are read through punctuation within a text, but a
    # timestamp field next to it is another value (joined, they made chance runs of a secret).
    records = [json.loads(f["json"]) for _, f in redis_client.xrange(EVENTS_STREAM)]
    values = [json.dumps({k: v for k, v in r.items() if k not in ("ts", "call_id")}, ensure_ascii=False)
              for r in records]
    values += [v for k, v in redis_client.hgetall(call_key("c1")).items() if not _is_number(v)]
    for secret in ("6222021234567890123", "13812345678", "13957125678"):
        for value in values:
            assert _longest_run_kept(secret, value) <= 4, value
    assert any(mask_text(said) in value for value in values), values


def test_stored_transcripts_and_sidecars_with_mask_transcripts(tmp_path):
    from voicebot.recording.recorder import CallRecorder
    from voicebot.session.events import CallEvent
    from voicebot.supervisor.recordings import RecordingIndexSink

    said = "身份证133010619850312231，卡1622221234567890128，电话一三八、一二三四、五六七八"
    rec = CallRecorder(tmp_path, "c1", 8000, 320, mask_numbers=True)
    rec.add_transcript("callee", said, 0.0, 1.0)
    rec.close()
    stored = rec.transcript_path.read_text(encoding="utf-8")
    for secret in ("133010619850312231", "1622221234567890128", "13812345678"):
        assert _longest_run_kept(secret, stored) <= 4
    sink = RecordingIndexSink(mask=True)
    sink(CallEvent("call_started", "c1", {"direction": "outbound", "remote": "sip:%2B8613912340000@10.0.0.5",
                                          "customer": {"name": "王", "phone": "+8613912340000"}}))
    sink(CallEvent("call_ended", "c1", {"recording": str(rec.wav_path), "outcome": {"note": said}}))
    meta = rec.wav_path.with_suffix(".json").read_text(encoding="utf-8")
    assert _longest_run_kept("8613912340000", meta) <= 4 and "c1" in meta
    assert json.loads(meta) == mask_value(json.loads(meta))  # masking it again changes nothing
