"""A supervisor's instruction to the bot, typed in the console or spoken on the whisper line.

Both paths end in ``Dialogue.on_instruction(text)``; this module says which order the text gives,
from one fixed table, in English and Chinese. The dialplan then carries the order out with its own
lines and states (``PlanDialogue.on_instruction``, plan_orders.py): "offer the discount" plays the
plan's answer to a customer asking for a discount in the current state, so the bot offers this
customer's configured offer (it never invents a "20%" it was not given); "wrap up" is the plan's
goodbye. The console checks a typed instruction here before sending it, so one that is not
understood is answered "not understood" and never reaches the call.

A negated, cancelled or conditional instruction ("don’t hang up", "别挂", "cancel the transfer",
"stop offering the discount", "if he gets angry hang up", "如果他生气就挂") is refused as not
understood rather than half-followed: doing the opposite of an order is the one error that must
never happen. Quotes and apostrophes are normalised first (phones and macOS type ’).
"""

from __future__ import annotations

import re
from enum import StrEnum

from voicebot.locales import locale_info
from voicebot.zh_numerals import DIGITS


class Order(StrEnum):
    WRAP_UP = "wrap_up"  # end politely: the plan's goodbye
    HANG_UP = "hang_up"  # end now
    TRANSFER = "transfer"  # to an agent, with the plan's escalation line and summary
    ASK_CALLBACK = "ask_callback"  # ask the customer when to call back; their answer books it
    REPEAT_PRICE = "repeat_price"  # the plan's answer to "how much is it"
    OFFER = "offer"  # the plan's answer to "is there a discount"
    DETAILS = "details"  # the plan's product details


# First match wins, so the more specific orders come first ("end the call politely" is a wrap-up,
# not a hang-up; "repeat the price with the discount" is the price).
PATTERNS: tuple[tuple[Order, str], ...] = (
    (Order.WRAP_UP, r"wrap (it |the call |things )?up|(end|close|finish)( the call| it)? (politely|nicely|gently)"
                    r"|polite(ly)? (end|close|goodbye|hang ?up)|hang ?up (politely|nicely)|say (good ?bye|bye)"
                    r"|(end|close|finish) the (call|conversation)"
                    r"|礼貌.{0,4}(结束|挂|道别|收尾)|结束(通话|对话|这通电话)|收尾|道别|说再见|客气地?结束|好好结束"),
    (Order.HANG_UP, r"hang ?up|hung up|disconnect|cut (the call|him|her|them) off|drop the call|end (the call )?now"
                    r"|挂断|挂掉|挂了|挂电话|马上挂|直接挂"),
    (Order.TRANSFER, r"transfer|put (him|her|them|the caller|the customer) through|(to|get) (a|an) (human|agent|person)"
                     r"|hand (it |him |her |them )?over|escalate"
                     r"|转人工|转接|转给|转到|转过去|转一下|转坐席|转客服|转销售|交给人工|人工接"),
    (Order.ASK_CALLBACK, r"call(ing)? (him |her |them )?back|callback|when to call|good time|best time"
                         r"|when (is it |it'?s |would be )?(convenient|good)|convenient time|another time|reschedule"
                         r"|什么时候方便|啥时候方便|哪天方便|方便的时间|什么时间方便|回电|回拨|再打|改天|约个?时间|约一下时间"),
    (Order.REPEAT_PRICE, r"price|how much|cost|报价|价格|价钱|多少钱|报.{0,2}价"),
    (Order.OFFER, r"offer|discount|coupon|voucher|promo|\d+ ?% ?off|rebate"
                  rf"|优惠|券|折扣|打折|\d+折|[{DIGITS[1:]}]折|满减|福利|让利|活动"),
    (Order.DETAILS, r"explain|details|features|describe|tell (him|her|them) (more )?about|product info"
                    r"|介绍|详细|功能|特点|卖点"),
)
_COMPILED = tuple((order, re.compile(pattern, re.IGNORECASE)) for order, pattern in PATTERNS)
# "别" negates ("别挂") except inside words (道别 goodbye, 区别, 特别, 别的 ...). Cancelling ("cancel",
# "stop", 取消) and conditions ("if", "unless", 如果, 要是) are refused the same way: the table knows
# orders to carry out now, not orders to undo or to keep for later.
NEGATION = re.compile(r"\b(don'?t|dont|do not|doesn'?t|never|no need to|not|no|without|avoid|hold off|wait)\b"
                      r"|\b(cancel\w*|stop\w*|abort\w*|halt|undo|call off|scrap|forget)\b"
                      r"|\b(if|unless|in case|only after|until)\b"
                      r"|\b(when(ever)?|once|after|as soon as) (he|she|they|the (customer|caller))\b"
                      r"|不要|不用|不能|不许|不必|不准|暂时不|先不|别再|取消|停止|停下|撤销|算了|等一下|等等"
                      r"|如果|要是|假如|万一|的话|一旦|除非|等他|等她|等客户"
                      r"|(?<![道告区特分级类性识])别(?![的人])", re.IGNORECASE)
# Typed quotes and apostrophes in their many forms, as one ASCII apostrophe.
_QUOTES = str.maketrans({c: "'" for c in "’‘`´′ʼ＇‛"})
# Which intent's answer in the dialplan carries each order out (the state's own first, then the plan's global).
ORDER_INTENT: dict[Order, str] = {Order.WRAP_UP: "goodbye", Order.REPEAT_PRICE: "ask_price",
                                  Order.OFFER: "ask_discount", Order.DETAILS: "ask_details"}
# Said for orders a plan has no line for: asking for a callback time, and a wrap-up without a goodbye.
ASK_CALLBACK_LINE = {"zh-CN": "请问您什么时候方便？我们按您方便的时间再给您打过来。",
                     "en-US": "When would be a good time for us to call you back?"}
WRAP_UP_LINE = {"zh-CN": "好的，今天就不多打扰您了，感谢您的时间，祝您生活愉快，再见！",
                "en-US": "I won't take more of your time today. Thank you, and goodbye!"}
MAX_LENGTH = 500


def understand(text: str) -> Order | None:
    """The order a supervisor's words give, or None when they give none this table knows."""
    text = " ".join((text or "").translate(_QUOTES).split())[:MAX_LENGTH]
    if not text or NEGATION.search(text):
        return None
    for order, pattern in _COMPILED:
        if pattern.search(text):
            return order
    return None


def line(table: dict[str, str], locale: str) -> str:
    return table.get(locale) or table[locale_info(locale).code]
