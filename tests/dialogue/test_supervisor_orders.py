"""A supervisor's typed or spoken instruction, carried out with the dialplan's own lines: offer,
price, details, ask for a callback time, wrap up, transfer, hang up; anything else is not followed."""

from __future__ import annotations

import pytest

from voicebot.dialogue.base import CallInfo, HangUp, Say, ScheduleCallback, Transfer, UserTurn
from voicebot.dialogue.instructions import ASK_CALLBACK_LINE, Order, understand

from .conftest import AGENT

# How supervisors phrase orders, in both languages; None: not an order the bot may follow.
PHRASES = {
    Order.OFFER: ["offer the 20% discount", "give him the coupon", "mention the promo", "给他优惠券", "跟她说一下优惠",
                  "打八折给他", "提一下满减活动"],
    Order.ASK_CALLBACK: ["ask when to call back", "ask her for a good time to call", "问他什么时候方便",
                         "问一下哪天方便回电", "约个时间再打"],
    Order.WRAP_UP: ["wrap up politely", "wrap it up", "end the call politely", "礼貌结束通话", "礼貌地道别", "收尾吧"],
    Order.REPEAT_PRICE: ["repeat the price", "tell him how much it costs", "再报一下价格", "告诉他多少钱"],
    Order.DETAILS: ["explain the product", "介绍一下产品功能"],
    Order.TRANSFER: ["transfer now", "Transfer now, please.", "put him through to an agent", "转人工", "转接给销售"],
    Order.HANG_UP: ["hang up", "hang up now", "挂断", "直接挂了吧"],
    None: ["be a bit nicer to her", "speak slower", "don't hang up", "别挂", "不要转人工", "说点别的", "", "   ",
           "<img src=x onerror=alert(1)>"],
}


@pytest.mark.parametrize("order", list(PHRASES), ids=str)
def test_phrases_give_their_order(order):
    assert {text: understand(text) for text in PHRASES[order]} == {text: order for text in PHRASES[order]}


def _call(factory, locale: str, segment: str = "price_sensitive"):
    info = CallInfo("c1", "outbound", "sip:x@y", locale, {"name": "王先生" if locale == "zh-CN" else "Mr Smith",
                                                           "segment": segment, "timezone": "Asia/Shanghai"})
    d = factory.new_dialogue(info)
    d.start(info)
    return d


def _said(actions) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def test_offer_price_and_details_use_the_plans_lines_and_keep_the_call_going(factory):
    d = _call(factory, "zh-CN")
    offer_text = d.values["offer"]
    assert "阶梯优惠" in offer_text  # the price-sensitive segment's configured offer
    said = _said(d.on_instruction("给他优惠券"))
    # then the question again, without the greeting and introduction before it (the state's `ask`)
    assert offer_text in said[0] and said[-1] == d._text(d.plan.spec.states[d.state].ask) == "请问是王先生吗？"
    assert not d.done and d.record.grade == "B"
    said = _said(d.on_instruction("再报一下价格"))
    assert "两千九百九十九元" in said[0]
    assert d.on_instruction("介绍一下产品功能") and d.state == "details"  # the plan's ask_details goes to details
    en = _call(factory, "en-US")
    said = _said(en.on_instruction("offer the 20% discount"))
    assert en.values["offer"] in said[0] and "20%" not in " ".join(said)  # only the offer it was given


def test_ask_when_to_call_back_then_the_customers_answer_books_it(factory):
    d = _call(factory, "zh-CN")
    assert _said(d.on_instruction("问他什么时候方便")) == [ASK_CALLBACK_LINE["zh-CN"]]
    actions = d.on_user_turn(UserTurn("明天下午三点吧", 0.9, 5.0, 6.5, None))
    booked = [a for a in actions if isinstance(a, ScheduleCallback)]
    assert booked and any(isinstance(a, HangUp) for a in actions), actions
    assert d.outcome()["final_state"] == "callback"


def test_wrap_up_transfer_hang_up_and_not_understood(factory):
    d = _call(factory, "zh-CN")
    assert d.on_instruction("说点别的") == [] and d.on_instruction("be nicer") == [] and not d.done
    actions = d.on_instruction("礼貌结束通话")
    assert _said(actions) == ["感谢您的时间，再见！"] and isinstance(actions[-1], HangUp) and d.done
    assert d.on_instruction("转人工") == []  # the call is ending: nothing more
    d = _call(factory, "en-US")
    actions = d.on_instruction("Transfer now, please.")
    assert any(isinstance(a, Transfer) and a.target == AGENT for a in actions)
    d = _call(factory, "en-US")
    assert d.on_instruction("hang up") == [HangUp("supervisor")] and d.outcome()["dialogue_hangup"] == "supervisor"
