"""Parsing one cell of an export into a canonical customer field; ValueError says what is wrong."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CHANNELS = ["phone", "sms", "wechat", "app", "web", "store"]
_CHANNEL_ALIASES = {"电话": "phone", "tel": "phone", "call": "phone", "短信": "sms", "text": "sms", "微信": "wechat",
                    "weixin": "wechat", "网站": "web", "官网": "web", "email": "web", "门店": "store", "shop": "store"}
_TRUE = {"1", "true", "yes", "y", "是", "会员", "t"}
_FALSE = {"0", "false", "no", "n", "否", "非会员", "f"}
LIST_SEP = ";"


def parse_int(text: str) -> int:
    value = parse_float(text)
    if value != int(value):
        raise ValueError(f"{text!r} is not a whole number")
    return int(value)


def parse_float(text: str) -> float:
    cleaned = re.sub(r"[,\s¥$€￥元]", "", text)
    percent = cleaned.endswith("%")
    try:
        value = float(cleaned.rstrip("%"))
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if value < 0:
        raise ValueError(f"{text!r} is negative")
    return value / 100 if percent else value


def parse_share(text: str) -> float:
    value = parse_float(text)
    if value > 1:
        raise ValueError(f"{text!r} is not a share between 0 and 1 (or 0%-100%)")
    return value


def parse_date(text: str | datetime | date, formats: list[str]) -> date:
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    for fmt in formats:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date in any of {formats}")


def parse_hour(text: str) -> int:
    match = re.fullmatch(r"\s*(\d{1,2})(?::\d{2})?\s*(?:点|h)?\s*", text)
    if not match or not 0 <= int(match.group(1)) <= 23:
        raise ValueError(f"{text!r} is not an hour 0-23 (or HH:MM)")
    return int(match.group(1))


def parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"{text!r} is not yes/no")


def parse_channel(text: str) -> str:
    low = text.strip().lower()
    low = _CHANNEL_ALIASES.get(low, low)
    if low not in CHANNELS:
        raise ValueError(f"unknown channel {text!r}; expected one of {CHANNELS}")
    return low


def parse_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;；,，|]", text) if p.strip()]


def parse_timezone(text: str) -> str:
    try:
        ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
    return text.strip()


def parse_locale(text: str) -> str:
    norm = {"zh": "zh-CN", "zh-cn": "zh-CN", "中文": "zh-CN", "en": "en-US", "en-us": "en-US"}.get(text.strip().lower())
    if norm is None:
        raise ValueError(f"unsupported locale {text!r}; expected zh-CN or en-US")
    return norm
