"""PII beyond phone numbers (voicebot.pii through voicebot.masking.mask_text): ID-card and bank-card
numbers are always masked, in any layout ASR writes them, even when a misheard digit breaks their
check; amounts, dates and times never are."""

from __future__ import annotations

import io
import json
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from voicebot import pii
from voicebot.masking import mask_text

CN = "零一二三四五六七八九"


def resident_id(region: str, born: date, seq: str) -> str:
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + pii._ID_CHECK[sum(int(d) * w for d, w in zip(body, pii._ID_WEIGHTS)) % 11]


def luhn_complete(prefix: str) -> str:
    for last in "0123456789":
        if pii.luhn_valid(prefix + last):
            return prefix + last
    raise AssertionError("unreachable")


def layout(digits: str, how: str) -> str:
    if how == "groups of 4":
        return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))
    if how == "dashes":
        return "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))
    if how == "chinese digits":
        return "".join(CN[int(c)] if c.isdigit() else c for c in digits)
    if how == "full width":
        return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in digits)
    return digits


LAYOUTS = st.sampled_from(["plain", "groups of 4", "dashes", "chinese digits", "full width"])
SAYINGS = st.sampled_from(["我的身份证号是{}，麻烦登记一下", "卡号{}", "my card number is {} thanks", "{}", "号码：{}。"])
ids = st.builds(resident_id, st.sampled_from(["110101", "310115", "440305", "510107", "650102"]),
                st.dates(date(1930, 1, 1), date.today() - timedelta(days=1)),
                st.text(alphabet="0123456789", min_size=3, max_size=3))
cards = st.builds(lambda head, n, rest: luhn_complete(head + rest[:n - len(head) - 1]),
                  st.sampled_from(["622202", "621700", "4111", "5500", "6225"]), st.integers(13, 19),
                  st.text(alphabet="0123456789", min_size=18, max_size=18))


def digits_left(text: str) -> str:
    return "".join(c for c in text.translate(pii._TO_ASCII) if c.isdigit() or c in "Xx")


@settings(max_examples=300, deadline=None)
@given(ids, LAYOUTS, SAYINGS)
def test_valid_resident_ids_are_always_masked(number, how, saying):
    spoken = layout(number, how if how != "groups of 4" else "plain")
    out = mask_text(saying.format(spoken))
    assert spoken not in out
    assert len(digits_left(out)) <= len(digits_left(saying.format(""))) + 4  # the last four at most


@settings(max_examples=300, deadline=None)
@given(cards, LAYOUTS, SAYINGS)
def test_luhn_valid_cards_are_always_masked(number, how, saying):
    spoken = layout(number, how)
    out = mask_text(saying.format(spoken))
    assert spoken not in out
    assert len(digits_left(out)) <= len(digits_left(saying.format(""))) + 4


amounts = st.one_of(
    st.integers(0, 10**6).map(lambda n: f"￥{n}"), st.integers(0, 10**5).map(lambda n: f"{n}元"),
    st.builds(lambda a, b: f"{a}.{b}万", st.integers(1, 999), st.integers(0, 9)),
    st.builds(lambda a, b: f"${a:,}.{b:02d}", st.integers(0, 10**6), st.integers(0, 99)))
dates = st.one_of(st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"), st.dates().map(str),
                  st.times().map(lambda t: f"{t:%H:%M}"), st.dates().map(lambda d: f"{d.month}月{d.day}号"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(amounts, dates), min_size=1, max_size=4),
       st.sampled_from(["，", " ", "，一共", " and ", "、"]))
def test_amounts_dates_and_times_are_never_masked(pieces, joiner):
    text = "我在" + joiner.join(pieces) + "付了款"
    assert mask_text(text) == text


def _neither_id_nor_card(n: str) -> bool:
    return not pii.luhn_valid(n) and not pii.is_resident_id(n)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789", min_size=15, max_size=19).filter(lambda n: n[0] != "0").filter(_neither_id_nor_card))
def test_long_runs_that_fail_every_check_are_still_masked(number):
    """A misheard digit breaks the check digit, not the privacy: 15-19 digits are an ID or a card (#20)."""
    out = mask_text(f"订单号{number}，请查收")
    assert number not in out and len(digits_left(out)) <= 4


ADDRESSES = [
    ("我住在北京市朝阳区建国路88号3号楼2单元501室，谢谢", "我住在北京市朝阳区", "88号"),
    ("给我送到上海市浦东新区张江路1000号就行", "给我送到上海市浦东新区", "1000"),
    ("地址是杭州市西湖区文三路幸福小区5栋2单元301", "地址是杭州市西湖区", "5栋"),
    ("广东省深圳市南山区科技园南区三号楼四层", "广东省深圳市南山区", "三号楼"),
    ("I live at 1600 Pennsylvania Avenue, Apt 4B, Washington, DC 20500 ok", "I live at ", "1600"),
    ("send it to 42 Oak Street, Springfield IL 62704", "send it to ", "Oak"),
    ("ship to 7 baker st please", "ship to ", "baker"),
    ("42 Oak Way, Springfield IL 62704 is my address", "", "Springfield"),
]
KEPT = ["in 1 easy way", "a 3 step drive", "3号线换乘", "3月5号下午三点", "第5排3号座位", "I paid 1800 dollars on the way",
        "call me at 5 pm on the street", "北京市朝阳区", "金额1.2万，共3件", "order 12 items by Friday", "room temperature 21 degrees"]


@pytest.mark.parametrize("text,kept,hidden", ADDRESSES)
def test_addresses_are_masked_from_the_street_down(text, kept, hidden):
    out = mask_text(text)
    assert out.startswith(kept) and hidden not in out
    tail = {"ship to 7 baker st please": " please", "42 Oak Way, Springfield IL 62704 is my address": " is my address"}
    assert out.endswith(tail.get(text, out[-1:]))


@pytest.mark.parametrize("text", KEPT)
def test_lookalikes_are_kept(text):
    assert mask_text(text) == text


def test_emails_and_the_one_table():
    out = mask_text("我的邮箱是 zhang.san@example.com，或 li+bills@mail.qq.com")
    assert "zhang" not in out and "example" not in out and "bills" not in out and "@" in out
    assert set(pii.PII_KINDS) == {"resident_id / bank_card", "email", "cn_address", "en_address"}
    assert pii.is_resident_id("110101900307451")  # old 15-digit number: a birth date, no check digit
    assert not pii.is_resident_id(resident_id("110101", date(1990, 3, 7), "451")[:-1] + "0") or \
        resident_id("110101", date(1990, 3, 7), "451").endswith("0")


def test_logs_and_stored_transcripts_use_it(monkeypatch, tmp_path):
    from voicebot.logs import configure_logging, get_logger
    from voicebot.recording.recorder import CallRecorder

    said = f"身份证{resident_id('110101', date(1990, 3, 7), '451')}，卡号6222 0212 3456 7890 128，住建国路88号"
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buf)
    configure_logging("INFO", json_output=True)
    get_logger("t").info("user_turn", text=said)
    logged = json.loads(buf.getvalue().strip().splitlines()[-1])["text"]
    assert logged == mask_text(said) and "19900307" not in logged and "0212 3456" not in logged and "88号" not in logged
    rec = CallRecorder(tmp_path, "c1", 8000, 320, mask_numbers=True)
    rec.add_transcript("callee", said, 0.0, 1.0)
    rec.close()
    stored = json.loads(rec.transcript_path.read_text(encoding="utf-8"))["text"]
    assert stored == logged
