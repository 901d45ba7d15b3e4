"""A supervisor's typed whisper never does the opposite of what was typed: negated, cancelled and
conditional orders are refused as not understood, whatever the apostrophe or wording."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from voicebot.dialogue.instructions import Order, understand

POSITIVE = {"hang up": Order.HANG_UP, "transfer him": Order.TRANSFER, "offer the discount": Order.OFFER,
            "wrap up": Order.WRAP_UP, "repeat the price": Order.REPEAT_PRICE, "挂断": Order.HANG_UP,
            "转人工": Order.TRANSFER, "给他优惠": Order.OFFER, "结束通话": Order.WRAP_UP}
APOSTROPHES = ["'", "’", "‘", "`", "´", "ʼ", "＇"]
EN_NEGATIONS = ["don{a}t {o}", "do not {o}", "Don{a}t {o}", "never {o}", "no need to {o}", "cancel the {o}",
                "stop: {o}", "please don{a}t {o}, he is interested", "if he gets angry {o}", "{o} if he says no",
                "unless he agrees, {o}", "when he asks, {o}", "once the customer agrees {o}", "wait, {o}",
                "not yet, {o} later", "stop offering the discount", "cancel the transfer", "abort {o}"]
ZH_NEGATIONS = ["别{o}", "不要{o}", "先别{o}", "取消{o}", "如果他生气就{o}", "要是他不同意就{o}", "暂时不{o}", "等一下再{o}",
                "不用{o}", "万一他骂人就{o}", "{o}的话等我说"]


@given(st.sampled_from(sorted(k for k in POSITIVE if k.isascii())), st.sampled_from(EN_NEGATIONS),
       st.sampled_from(APOSTROPHES), st.sampled_from(["", " ", "  "]), st.booleans())
@settings(max_examples=300, deadline=None)
def test_negated_or_conditional_english_orders_are_never_carried_out(order, form, apostrophe, pad, upper):
    text = pad + form.format(a=apostrophe, o=order) + pad
    text = text.upper() if upper else text
    assert understand(text) is None, text


@given(st.sampled_from(sorted(k for k in POSITIVE if not k.isascii())), st.sampled_from(ZH_NEGATIONS))
@settings(max_examples=100, deadline=None)
def test_negated_or_conditional_chinese_orders_are_never_carried_out(order, form):
    text = form.format(o=order)
    assert understand(text) is None, text


def test_the_issue_s_repros():
    for text in ("don’t hang up, he is interested", "Don’t transfer", "cancel the transfer",
                 "stop offering the discount", "if he gets angry hang up"):
        assert understand(text) is None, text


def test_plain_orders_still_work():
    for text, order in POSITIVE.items():
        assert understand(text) is order, text
    assert understand("ask when to call him back") is Order.ASK_CALLBACK
