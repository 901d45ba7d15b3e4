"""Lines that use what is known about the customer: template variables from CRM fields.

One table (``CUSTOMER_VARIABLES``) says which CRM fields feed each variable. ``{salutation}`` is
the name as a caller says it (王先生 / 李女士 / Mr Smith / Ms Lee; the full name when the gender
is unknown; the plan's ``name`` default when there is no name). The others are empty for a
customer whose field is empty, so a script line using them is written as a list of wordings, the
first whose fields are all known is spoken and the last (using none) is the fallback. A line that
opens by addressing the customer ("{salutation}, …") drops the address when the name is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from voicebot.dialogue.spoken import spoken_name, spoken_value

if TYPE_CHECKING:  # the plan package imports this module: no import of it at load time
    from voicebot.dialogue.plan.schema import ScriptLine


@dataclass(frozen=True)
class CustomerVariable:
    fields: tuple[str, ...]  # CRM fields read, first non-empty wins (x_<field> = an unmapped column)
    always_known: bool = False  # has its own fallback, so it needs no fallback wording
    meaning: str = ""


CUSTOMER_VARIABLES: dict[str, CustomerVariable] = {
    "salutation": CustomerVariable(("name",), True, "王先生 / 李女士 / Mr Smith by gender; the full name if unknown"),
    "surname": CustomerVariable(("name",), False, "family name (王, 欧阳; Smith)"),
    "city": CustomerVariable(("city",), False, "city or region"),
    "points": CustomerVariable(("points",), False, "member points balance"),
    "last_purchase": CustomerVariable(("last_purchase", "last_product"), False, "what they bought last"),
    "last_purchase_date": CustomerVariable(("last_purchase_at",), False, "when they bought last (3月24日 / March 24)"),
}
# Columns a CRM export may use for a field the importer does not map itself.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "x_name", "x_姓名", "x_客户姓名", "x_联系人"),
    "gender": ("gender", "sex", "x_gender", "x_sex", "x_性别"),
    "city": ("city", "region", "x_city", "x_region", "x_城市", "x_地区", "x_所在城市"),
    "points": ("points", "x_points", "x_积分", "x_会员积分"),
    # What was bought (not when: 最近购买 is a date column, read as last_purchase_at by the importer).
    "last_purchase": ("last_purchase", "x_last_purchase", "x_最近购买商品", "x_上次购买商品", "x_最近购买产品"),
    "last_product": ("last_product", "x_last_product", "x_购买商品", "x_商品名称"),
    "last_purchase_at": ("last_purchase_at", "x_last_purchase_at", "x_最近购买日期", "x_最后下单时间"),
}
GENDER_WORDS = {
    "male": ("男", "男士", "男性", "先生", "m", "male", "man", "mr", "1"),
    "female": ("女", "女士", "女性", "小姐", "f", "female", "woman", "ms", "mrs", "miss", "2"),
}
TITLES = {"zh-CN": {"male": "{surname}先生", "female": "{surname}女士"},
          "en-US": {"male": "Mr {surname}", "female": "Ms {surname}"}}
# Two-character family names (the rest are one character).
COMPOUND_SURNAMES = frozenset(("欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 "
                               "司徒 夏侯 令狐 轩辕 端木 独孤 南宫 西门 百里 呼延 澹台").split())
SCRIPT_VARIABLES = tuple(f"script_{p}" for p in ("opening", "pitch", "offer", "closing"))


def field_value(customer: Mapping[str, Any], field: str) -> Any:
    for key in FIELD_ALIASES.get(field, (field, f"x_{field}")):
        value = customer.get(key)
        if value not in (None, "", [], "nan"):
            return value
    return None


def gender_of(customer: Mapping[str, Any]) -> str:
    raw = str(field_value(customer, "gender") or "").strip().lower().rstrip(".")
    for gender, words in GENDER_WORDS.items():
        if raw in words:
            return gender
    return ""


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def surname_of(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if _is_chinese(name):
        return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[0]
    return name.split()[-1]


def _already_titled(name: str) -> bool:
    low = name.lower()
    return name.endswith(("先生", "女士", "小姐", "老师", "总")) or low.startswith(("mr ", "mr. ", "ms ", "ms. ", "mrs ", "miss ", "dr "))


def salutation(customer: Mapping[str, Any], locale: str) -> str:
    name = spoken_name(str(field_value(customer, "name") or ""))
    if not name:
        return ""
    if _already_titled(name):
        return name
    gender = gender_of(customer)
    if not gender:
        return name
    # A Chinese name keeps the Chinese title in an English call only if it has no Latin spelling.
    titles = TITLES["zh-CN" if _is_chinese(name) else ("en-US" if locale.startswith("en") else "zh-CN")]
    return titles[gender].format(surname=surname_of(name))


def customer_values(customer: Mapping[str, Any], locale: str, today: date | None = None) -> dict[str, str]:
    """Variable -> its wording for this customer ('' = unknown), each in its spoken form (``spoken``)."""
    out: dict[str, str] = {"salutation": salutation(customer, locale),
                           "surname": surname_of(spoken_name(str(field_value(customer, "name") or "")))}
    for var in ("city", "points", "last_purchase", "last_purchase_date"):
        value = next((field_value(customer, f) for f in CUSTOMER_VARIABLES[var].fields
                      if field_value(customer, f) is not None), None)
        out[var] = spoken_value(var, value, locale, today)
    return out


def wordings(line: ScriptLine) -> list[str]:
    return [line] if isinstance(line, str) else list(line)


def customer_fields_used(text: str) -> list[str]:
    from voicebot.dialogue.plan.templates import template_fields

    return [v for v in template_fields(text) if v in CUSTOMER_VARIABLES]


_ADDRESS = re.compile(r"^\{salutation\}\s*[,，]\s*")


def drop_address(template: str) -> str:
    """A line without its opening form of address: for a customer whose name is unknown, where
    {salutation} is the plan's stand-in ("the account holder", 机主本人). "{salutation}, we have …" ->
    "we have …"; {salutation} elsewhere ("Am I speaking with {salutation}?") stays."""
    m = _ADDRESS.match(template)
    if m is None:
        return template
    return capitalize_first(template[m.end():])


def capitalize_first(text: str) -> str:
    """A sentence starts with a capital: "we have …" -> "We have …" (Chinese and "{field} …" unchanged)."""
    return text[:1].upper() + text[1:] if text[:1].islower() and text[:1].isascii() else text


def pick_wording(line: ScriptLine, values: Mapping[str, Any]) -> str:
    """The first wording whose customer variables all have a value for this customer."""
    options = wordings(line)
    for text in options:
        if all(str(values.get(v) or "") for v in customer_fields_used(text)):
            return text
    return options[-1]


def columns_for(variable: str) -> tuple[str, ...]:
    """Every column name that can feed ``variable``."""
    cols: list[str] = []
    for f in CUSTOMER_VARIABLES[variable].fields:
        cols += FIELD_ALIASES.get(f, (f, f"x_{f}"))
    return tuple(cols)


def missing_columns(variables: Iterable[str], columns: set[str]) -> list[str]:
    """Customer variables none of whose columns the campaign's customers have."""
    return [v for v in variables if v in CUSTOMER_VARIABLES and not CUSTOMER_VARIABLES[v].always_known
            and not columns & set(columns_for(v))]
