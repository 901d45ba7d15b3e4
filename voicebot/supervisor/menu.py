"""The supervisor line's voice menu: prompts (en-US, zh-CN), DTMF entry, and how a call is named.

A supervisor picks a call by its place in the list of live calls (1-9, in the order they
started), or by the last digits/characters of its call id, or by the full id.
"""

from __future__ import annotations

import queue
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from voicebot.sip.call import SipCall

PROMPTS: dict[str, dict[str, str]] = {
    "en-US": {
        "pin": "Supervisor line. Enter your pin code, then the hash key.",
        "bad_pin": "That pin code is wrong.",
        "no_calls": "There are no live calls. Goodbye.",
        "calls": "There are {n} live calls. Enter the call number, then the hash key.",
        "one_call": "There is one live call. Press 1, then the hash key.",
        "no_such_call": "That call is not live.",
        "mode": "Press 1 to listen, 2 to whisper, 3 to barge in.",
        "listen": "Listening.",
        "whisper": "Whisper mode. The customer cannot hear you.",
        "barge": "You are connected to the customer.",
        "ended": "The call has ended. Goodbye.",
        "bye": "Goodbye.",
        "connecting": "Supervising a live call, {mode} mode.",
    },
    "zh-CN": {
        "pin": "监听专线。请输入密码，以井号键结束。",
        "bad_pin": "密码错误。",
        "no_calls": "当前没有进行中的通话。再见。",
        "calls": "当前有{n}通进行中的通话。请输入通话编号，以井号键结束。",
        "one_call": "当前有一通进行中的通话。请按1，再按井号键。",
        "no_such_call": "该通话不在进行中。",
        "mode": "监听请按1，耳语请按2，插话请按3。",
        "listen": "正在监听。",
        "whisper": "耳语模式，客户听不到您的声音。",
        "barge": "您已接通客户。",
        "ended": "通话已结束。再见。",
        "bye": "再见。",
        "connecting": "正在监督一通进行中的通话，模式：{mode}。",
    },
}


MODE_NAMES = {"zh-CN": {"listen": "监听", "whisper": "耳语", "barge": "插话"}}


def mode_name(locale: str, mode: str) -> str:
    return MODE_NAMES.get(locale, {}).get(mode, mode)


def prompt(locale: str, key: str, **values: Any) -> str:
    return PROMPTS.get(locale, PROMPTS["en-US"])[key].format(**values)


class CallerLeft(Exception):
    """The supervisor hung up."""


@dataclass
class DtmfReader:
    """Digits from a call's signal queue; ``on_digit`` lets the owner cut a prompt short."""

    call: SipCall
    on_digit: Callable[[], None] = lambda: None

    def digit(self, timeout_s: float) -> str | None:
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            try:
                sig = self.call.signals.get(timeout=min(0.1, max(0.01, deadline - time.time())))
            except queue.Empty:
                continue
            if sig.kind == "ended":
                raise CallerLeft()
            if sig.kind == "dtmf":
                self.on_digit()
                return sig.data["digit"]
        return None

    def entry(self, timeout_s: float, max_len: int = 32) -> str | None:
        """Digits up to '#' (or ``max_len``); None when nothing was keyed in ``timeout_s``."""
        got = ""
        while len(got) < max_len:
            d = self.digit(timeout_s)
            if d is None:
                return got or None
            if d == "#":
                return got
            got += d
        return got


def pick_call(ref: str, live: list[tuple[str, str]]) -> str | None:
    """The live call ``ref`` names. ``live`` = (uid, SIP Call-ID) in start order.

    ``ref`` may be a 1-based menu number (up to the number of live calls), a full uid or SIP
    Call-ID, or a unique ending of a uid (at least 3 characters, so digits keyed on a phone work).
    """
    ref = ref.strip()
    if not ref:
        return None
    for uid, sip_id in live:
        if ref in (uid, sip_id):
            return uid
    if re.fullmatch(r"\d{1,2}", ref) and 1 <= int(ref) <= len(live):
        return live[int(ref) - 1][0]
    if len(ref) >= 3:
        ends = [uid for uid, _ in live if uid.endswith(ref.lower())]
        if len(ends) == 1:
            return ends[0]
    return None
