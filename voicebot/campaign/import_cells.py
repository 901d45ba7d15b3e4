"""Reading one cell of a customer export: Excel's text tricks undone, the callable number in a phone
cell (annotations, extensions, several numbers, masked or mangled ones), an optional field's value.

Errors are the row's business (``voicebot.campaign.importer``): ``PhoneError`` refuses the row,
``ValueError`` from ``read_field`` is a warning on the cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from voicebot.campaign import freeform, normalise, values
from voicebot.campaign.mapping import FIELDS, ColumnMapping
from voicebot.campaign.phones import PhoneError, is_masked, normalise_phone

_MULTI_NUMBER = re.compile(r"[/、;；,，|]|\s{2,}|\s+或\s*|\s+or\s+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\ufeff\u00a0\u3000]")


def clean_cell(cell: Any) -> Any:
    """A cell as text with Excel's keep-as-text tricks and invisible spaces undone; "" for an empty mark."""
    if isinstance(cell, (datetime, date)):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # Excel numbers: 13812345678.0, 3.0
    text = _INVISIBLE.sub(" ", str(cell)).strip()
    m = re.fullmatch(r'="(.*)"', text)  # ="13812345678": Excel's keep-as-text trick
    if m:
        text = m.group(1).strip()
    if text.startswith("'") and text.count("'") == 1:  # '13812345678: another one
        text = text[1:].strip()
    return "" if text.lower() in EMPTY_MARKS else text


def read_phone(text: str, region: str) -> tuple[str, list[str], str]:
    """(e164, other numbers in the cell, note); PhoneError when none is callable."""
    if _SCIENTIFIC.match(text):
        raise PhoneError(f"{text!r}: Excel saved the number in scientific notation and lost digits; "
                         "format the column as text and export again")
    if is_masked(text):
        raise PhoneError(f"{text!r} is masked (digits hidden); export the full number")
    ext_match = _EXTENSION.search(text)
    if ext_match and len(re.sub(r"\D", "", text[:ext_match.start()])) >= 7:  # the dialler cannot key extensions
        try:
            e164 = normalise_phone(text[:ext_match.start()], region)
            return e164, [], f"extension {ext_match.group(1)} cannot be dialled; calling {e164}"
        except PhoneError:
            pass
    try:
        return normalise_phone(text, region), [], ""
    except PhoneError as first:
        cleaned, ext = strip_annotations(text)
        if cleaned != text:
            try:
                e164 = normalise_phone(cleaned, region)
            except PhoneError:
                pass
            else:
                note = f"extension {ext} cannot be dialled; calling {e164}" if ext else f"read as {e164}"
                return e164, [], note
        if re.fullmatch(r"[2-9]\d{6,7}", re.sub(r"[\s-]", "", text)):
            raise PhoneError(f"{text!r} looks like a landline without its area code (e.g. 010-); add it") from None
        parts = [p for p in _MULTI_NUMBER.split(text) if p.strip()]
        numbers = []
        for part in parts if len(parts) > 1 else []:
            try:
                numbers.append(normalise_phone(part, region))
            except PhoneError:
                continue
        if not numbers:
            raise first
        return numbers[0], numbers[1:], f"{len(parts)} numbers in one cell; dialling {numbers[0]}"


_ANNOTATION = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]|[\u4e00-\u9fff]+$|^[\u4e00-\u9fff：:]+")
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)


def strip_annotations(text: str) -> tuple[str, str]:
    """'13812345678（本人）' / '手机：138…' / '010-62345678 转 801' -> (number text, extension)."""
    ext = ""
    m = _EXTENSION.search(text)
    if m:
        ext, text = m.group(1), text[:m.start()]
    elif re.fullmatch(r"0\d{2,3}-\d{7,8}-\d{1,6}", text.strip()):  # 010-62345678-801
        text, ext = text.strip().rsplit("-", 1)
    previous = None
    while previous != text:
        previous, text = text, _ANNOTATION.sub("", text).strip()
    return text, ext


# Cells that mean "unknown": treated as empty, not as something to flag.
EMPTY_MARKS = {"-", "--", "—", "/", "无", "暂无", "未知", "不详", "未填", "空", "n/a", "na", "null", "none", "#n/a", "nan",
               "?", "？", "待定", "不清楚"}


def read_field(fld: str, text: Any, mapping: ColumnMapping) -> tuple[Any, str]:
    """(value, note) of one optional cell; ValueError when unreadable."""
    kind = FIELDS[fld]
    raw = text if isinstance(text, (date, datetime)) else str(text)
    if fld == "birthday":
        return _birthday(raw), ""
    if fld == "city":
        return _city(raw)
    if kind == "date":
        return _date(raw, mapping)
    if isinstance(raw, (date, datetime)):
        raw = raw.isoformat()
    if fld in _BY_FIELD:
        return _BY_FIELD[fld](raw), ""
    reader = _BY_KIND.get(kind)
    return reader(raw) if reader is not None else (raw, "")


def _birthday(raw: str | date) -> normalise.Birth:
    """A birth date, or only a month (197003: a month is all 出生年月 gives)."""
    day = raw.date() if isinstance(raw, datetime) else raw
    return normalise.parse_birth(day.isoformat() if isinstance(day, date) else day, date.today())


def _city(raw: Any) -> tuple[Any, str]:
    try:
        return normalise.normalise_city(raw), ""
    except ValueError as exc:
        return raw, f"{exc}; kept as written"


def _date(raw: str | date, mapping: ColumnMapping) -> tuple[str, str]:
    """A date cell: 双十一 and other named shopping days first, then every way of writing a date."""
    if not isinstance(raw, (date, datetime)):
        named = normalise.shopping_day(raw, date.today())
        if named is not None:
            return named.isoformat(), f"named day read as {named.isoformat()}"
    parsed = freeform.parse_date(raw, mapping.date_formats, mapping.day_first)
    return parsed.value.isoformat(), parsed.note  # type: ignore[union-attr]


def _share(raw: str) -> tuple[Any, str]:
    parsed = freeform.parse_share(raw)
    return parsed.value, parsed.note


_BY_FIELD: dict[str, Callable[[str], Any]] = {
    "channel": values.parse_channel, "timezone": values.parse_timezone, "locale": values.parse_locale}
_BY_KIND: dict[str, Callable[[str], tuple[Any, str]]] = {
    "share": _share,
    "hour": lambda raw: (freeform.parse_contact_time(raw), ""),
    "gender": lambda raw: (freeform.parse_gender(raw), ""),
    "bool": lambda raw: (freeform.parse_yes_no(raw), ""),
    "int": lambda raw: (freeform.count(raw), ""),
    "float": lambda raw: (freeform.amount(raw), ""),
    "list": lambda raw: (values.parse_list(raw), ""),
}
