"""CRM text as a person says it: every customer field that a script line speaks goes through
``spoken_value``, so raw export text (上海市浦东新区门店, 浙江杭州, 【爆款】飞鹤星飞帆3段 800g*2罐) is
never read out as it was typed into the CRM.

- city: the short city name people say (上海, 杭州): province prefix, 市/区 and store words dropped
- name: the name alone, without remarks the shop added (王芳(VIP), 张伟-老客户)
- product: the product name without promotion tags, SKU codes, sizes and quantities
- date: 3月24日 this year, 去年11月11日 / 2024年11月11日 otherwise (a date said without its year is heard as this year's)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from voicebot.locales import is_chinese

# Words a shop appends to a place: 上海市浦东新区门店, 杭州西湖店, 文三路旗舰店.
_STORE_WORDS = r"(?:(?:总|分|专卖|旗舰|体验|直营|加盟)?(?:店|门店|商场|专柜)|营业部|网点)$"
_PROVINCES = ("黑龙江", "内蒙古", "河北", "山西", "辽宁", "吉林", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南",
              "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "广西", "西藏",
              "宁夏", "新疆")
# Remarks a shop types into a name or product cell: (VIP), 【爆款】, [新], -老客户.
_BRACKETS = re.compile(r"[(（\[【<《{][^)）\]】>》}]*[)）\]】>》}]")
_ZH = re.compile(r"[\u4e00-\u9fff]")


def spoken_city(text: str, locale: str = "zh-CN") -> str:
    """上海市浦东新区门店 -> 上海, 浙江杭州 -> 杭州, 杭州市 -> 杭州; Latin text unchanged."""
    raw = re.sub(r"\s+", "", str(text))
    if not _ZH.search(raw):
        return str(text).strip()
    raw = re.sub(_STORE_WORDS, "", _BRACKETS.sub("", raw))
    if not raw:
        return ""  # 门店 alone names no place: the line without {city} is spoken
    try:
        from voicebot.places import normalise_city  # noqa: PLC0415 - cpca (pandas) only when a city is spoken

        return normalise_city(raw).city
    except (ValueError, ImportError):
        pass  # not a city cpca knows (or no cpca): trim what a person would not say
    for province in _PROVINCES:
        if raw.startswith(province) and len(raw) > len(province) + 1:
            raw = raw[len(province):].removeprefix("省").removeprefix("自治区")
            break
    m = re.match(r"(.{2,}?)(?:市|地区|自治州|盟)", raw)
    return m.group(1) if m else raw


def spoken_name(text: str) -> str:
    """王芳(VIP) -> 王芳; 张伟-老客户 -> 张伟; 'Ann Lee / gold' -> Ann Lee."""
    name = _BRACKETS.sub("", str(text)).strip()
    name = re.split(r"\s*[-—/|,，、;；#]\s*|\s+(?=\d)", name)[0].strip()
    return re.sub(r"\d+", "", name).strip() if _ZH.search(name) else name


def _one_product(text: str) -> str:
    name = _BRACKETS.sub(" ", str(text))
    name = re.sub(r"(?i)\b(?:sku|货号|编码|条码|型号)\s*[:：]?\s*[\w-]+", " ", name)
    name = re.sub(r"(?:货号|编码|条码)[:：]?\s*[\w-]+", " ", name)
    words = name.split()
    if not words:
        return str(text).strip()
    # Sizes and counts after the name (800g*2罐, x2, L码, 500ml): not what a person says on the phone.
    spec = re.compile(r"(?i)^(?:[*x×]\s*\d+\S*|\d+(?:\.\d+)?\s*(?:g|kg|ml|l|克|千克|毫升|升|片|包|罐|盒|瓶|袋|支|件|个)\S*"
                      r"|[a-z]{1,3}码|\S*[*x×]\d+\S*)$")
    kept = [words[0]] + [w for w in words[1:] if not spec.match(w)]
    return re.sub(r"[*x×]\d+$", "", " ".join(kept)).strip(" -_/")


def spoken_product(value: Any, locale: str = "zh-CN") -> str:
    """One product or a list: the first two, then 等 / and more."""
    items = value if isinstance(value, list) else re.split(r"\s*[;；|]\s*", str(value))
    names = [n for n in (_one_product(i) for i in items if str(i).strip()) if n]
    zh = is_chinese(locale)
    joined = ("、" if zh else " and ").join(names[:2])
    return joined + (("等" if zh else " and more") if len(names) > 2 else "")


def spoken_date(value: Any, locale: str, today: date | None = None) -> str:
    """3月24日 this year; 去年11月11日 / 2024年11月11日 otherwise."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
    year = (today or date.today()).year
    if is_chinese(locale):
        prefix = "" if value.year == year else "去年" if value.year == year - 1 else f"{value.year}年"
        return f"{prefix}{value.month}月{value.day}日"
    suffix = "" if value.year == year else " last year" if value.year == year - 1 else f", {value.year}"
    return f"{value:%B} {value.day}{suffix}"


def _number(value: Any, locale: str) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# variable -> how its CRM value is said (one table: a new template variable gets its row here)
SPOKEN: dict[str, Callable[[Any, str], str]] = {
    "city": lambda v, loc: spoken_city(v, loc),
    "points": _number,
    "last_purchase": spoken_product,
}


def spoken_value(variable: str, value: Any, locale: str, today: date | None = None) -> str:
    """The wording of one customer variable ('' for no value)."""
    if value is None or value == "":
        return ""
    if variable == "last_purchase_date":
        return spoken_date(value, locale, today)
    return SPOKEN.get(variable, lambda v, loc: str(v).strip())(value, locale)
