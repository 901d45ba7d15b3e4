"""Customer import from CSV / XLSX exports: every callable row kept, every odd cell flagged.

A row is refused only when it has no callable number (mobile, else the second phone column).
Any other cell that cannot be read is a *warning*: the row is imported, the cell's text is kept
raw as ``x_<header>`` and the warning (line, column, value, reason, phone, name) goes to the
errors CSV. Good rows are merged by E.164 number into what is already stored (new non-empty
values win, tags/categories are unioned), so a bad or partial import never loses stored data.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import redis
from tqdm import tqdm

from voicebot.campaign import freeform, normalise, values
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.headers import ORDER_ID_ALIASES, normalise_header
from voicebot.campaign.import_cells import clean_cell, read_field, read_phone
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.phones import PhoneError, timezone_for
from voicebot.campaign.tables import ImportFileError, Sheet, read_workbook
from voicebot.locales import is_chinese
from voicebot.store import keys

__all__ = ["ImportFileError", "ImportReport", "RowError", "import_customers", "preview", "write_issues_csv"]


@dataclass(frozen=True)
class RowError:
    line: int  # line in the CSV file or row in the sheet (1-based, as Excel shows it)
    column: str
    reason: str
    value: str = ""
    phone: str = ""
    name: str = ""
    sheet: str = ""
    severity: Literal["refused", "warning"] = "refused"

    def __str__(self) -> str:
        where = f"sheet {self.sheet!r} " if self.sheet else ""
        return f"{where}line {self.line}, column {self.column!r}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    rows_read: int = 0
    rows_ok: int = 0
    new_customers: int = 0  # new to the customer store (shared by every campaign)
    updated_customers: int = 0
    new_to_campaign: int = 0  # what a manager means by "new": not yet in this campaign
    duplicates_in_file: int = 0
    errors: list[RowError] = field(default_factory=list)  # refused rows
    warnings: list[RowError] = field(default_factory=list)  # cells kept raw / read with a guess
    customer_ids: list[str] = field(default_factory=list)
    sheets: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({(e.sheet, e.line) for e in self.errors})

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "rows_read": self.rows_read, "rows_ok": self.rows_ok,
                "bad_rows": self.bad_rows, "cell_warnings": len(self.warnings), "new_customers": self.new_customers,
                "updated_customers": self.updated_customers, "duplicates_in_file": self.duplicates_in_file,
                "sheets": self.sheets, "skipped": self.skipped, "new_to_campaign": self.new_to_campaign}


_Note = tuple[str, str, str, str]  # (column, value, reason, severity) of one cell's warning
_TOTALS_LINE = re.compile(r"^(合计|总计|小计|汇总|total|sum)\b", re.IGNORECASE)


def parse_row(line: int, sheet: Sheet, cells: list[Any], columns: dict[str, str],
              mapping: ColumnMapping) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One row into canonical fields: (record, issues); record None when the row is refused."""
    if cells and isinstance(cells[0], ImportFileError):
        return None, [RowError(line, "*", str(cells[0]), sheet=sheet.name)]
    notes: list[_Note] = []
    record: dict[str, Any] = {}
    cells, by_header = _cells_by_header(cells, sheet.header, record, notes)
    name = _name_of(by_header, columns)

    # The number first: without one the row cannot be called.
    phone_problems = _read_phones(by_header, columns, mapping, record, notes)
    if "phone" not in record:
        return None, [_refusal(line, sheet, cells, name, phone_problems)]

    _read_optional_fields(by_header, columns, mapping, record, notes)
    _derive_fields(record)
    if mapping.keep_unmapped:
        _keep_unmapped(by_header, columns, record)
    issues = [RowError(line, col, reason, value, record["phone"], name, sheet.name, sev)  # type: ignore[arg-type]
              for col, value, reason, sev in notes]
    return record, issues


def _cells_by_header(cells: list[Any], header: list[str], record: dict[str, Any],
                     notes: list[_Note]) -> tuple[list[Any], dict[str, Any]]:
    """(cells without trailing empties, header -> cell); cells beyond the header are kept as x_extra."""
    while len(cells) > len(header) and str(cells[-1]).strip() == "":
        cells = cells[:-1]
    extra = [str(c) for c in cells[len(header):]]
    if extra:
        notes.append(("*", ",".join(extra), f"row has {len(cells)} fields, header has {len(header)}; "
                      "extra cells kept as x_extra", "warning"))
        record["x_extra"] = ",".join(extra)
    return cells, dict(zip(header, [*cells, *[""] * (len(header) - len(cells))]))


def _name_of(by_header: dict[str, Any], columns: dict[str, str]) -> str:
    """The name column, else first and last name joined: for the issues list, before any parsing."""
    def cell(fld: str) -> str:
        return str(by_header.get(columns.get(fld, ""), "") or "").strip()
    return cell("name") or " ".join(cell(f) for f in ("first_name", "last_name")).strip()


def _read_phones(by_header: dict[str, Any], columns: dict[str, str], mapping: ColumnMapping,
                 record: dict[str, Any], notes: list[_Note]) -> list[tuple[str, str, str]]:
    """Sets record["phone"] (and "phone_alt") from the phone columns; the (column, value, reason) of
    each phone cell that could not be read. A bad mobile with a good second number is a warning."""
    problems: list[tuple[str, str, str]] = []
    for fld in ("phone", "phone_alt"):
        column = columns.get(fld)
        if not column:
            continue
        text = clean_cell(by_header.get(column, ""))
        if text == "":
            if fld == "phone":  # an empty second number is no news
                problems.append((column, "", "phone number is empty"))
            continue
        try:
            e164, others, note = read_phone(str(text), mapping.region)
        except PhoneError as exc:
            problems.append((column, str(text), str(exc)))
            continue
        if "phone" in record:
            record["phone_alt"] = e164
            continue
        record["phone"] = e164
        if others:
            record["phone_others"] = values.LIST_SEP.join(others)
        if note:
            notes.append((column, str(text), note, "warning"))
        if fld == "phone_alt":
            notes.extend((col, value, f"{reason}; dialling the {column!r} column instead", "warning")
                         for col, value, reason in problems)
    return problems


def _refusal(line: int, sheet: Sheet, cells: list[Any], name: str,
             phone_problems: list[tuple[str, str, str]]) -> RowError:
    """Why a row without a callable number is refused: a totals line, or its phone cells' problems."""
    first = next((str(c).strip() for c in cells if str(c).strip()), "")
    if _TOTALS_LINE.match(first):
        return RowError(line, "*", "a totals line, not a customer", first, "", name, sheet.name)
    col, value, reason = phone_problems[0] if phone_problems else ("*", "", "no phone column")
    reason = reason if len(phone_problems) < 2 else "; ".join(f"{c}: {r}" for c, _v, r in phone_problems)
    return RowError(line, col, reason, value, "", name, sheet.name)


def _read_optional_fields(by_header: dict[str, Any], columns: dict[str, str], mapping: ColumnMapping,
                          record: dict[str, Any], notes: list[_Note]) -> None:
    """Every mapped column but the phones; an unreadable cell is kept raw as x_<column>, with a warning."""
    for fld, column in columns.items():
        if fld in ("phone", "phone_alt"):
            continue
        text = clean_cell(by_header.get(column, ""))
        if text == "":
            continue
        try:
            value, note = read_field(fld, text, mapping)
        except (ValueError, PhoneError) as exc:
            record[f"x_{column}"] = str(text)  # kept raw: nothing the customer's row said is lost
            notes.append((column, str(text), f"{exc}; kept as text in x_{column}", "warning"))
            continue
        if note:
            notes.append((column, str(text), note, "warning"))
        _store_value(record, fld, value, str(text))


def _store_value(record: dict[str, Any], fld: str, value: Any, text: str) -> None:
    """A parsed cell into the record: structured values spread over the fields they stand for."""
    if isinstance(value, normalise.Birth):
        record["birthday"] = value.iso
        record.setdefault("age", value.age(date.today()))
    elif isinstance(value, normalise.Place):
        record.update(city=value.city, province=value.province,
                      **({"district": value.district} if value.district else {}))
    elif isinstance(value, freeform.ContactTime):
        _store_contact_time(record, value, text)
    else:
        record[fld] = value


def _store_contact_time(record: dict[str, Any], value: freeform.ContactTime, text: str) -> None:
    record["preferred_time"] = text
    if value.start is not None:
        record["preferred_hour"], record["preferred_hour_end"] = value.start, value.end
    if value.days != "any":
        record["preferred_days"] = value.days
    if value.avoid is not None:  # 中午别打: hours never to call, not a preference
        record["avoid_hour"], record["avoid_hour_end"] = value.avoid


def _derive_fields(record: dict[str, Any]) -> None:
    """Fields the row implies without a column: name from its parts, gender from 先生/女士, member from a level."""
    if "name" not in record and (record.get("first_name") or record.get("last_name")):
        first, last = str(record.get("first_name", "")), str(record.get("last_name", ""))
        record["name"] = f"{first} {last}".strip() if (first + last).isascii() else last + first  # 王 + 伟
    if "gender" not in record and str(record.get("name", "")).endswith(("先生", "女士", "小姐")):
        record["gender"] = "male" if str(record["name"]).endswith("先生") else "female"  # 王先生
    if "member_level" in record and "member" not in record:
        try:
            record["member"] = freeform.parse_yes_no(str(record["member_level"]))
        except ValueError:
            pass


def _keep_unmapped(by_header: dict[str, Any], columns: dict[str, str], record: dict[str, Any]) -> None:
    """Columns the mapping does not know, kept as x_<column> text."""
    mapped = set(columns.values())
    for column, cell in by_header.items():
        text = clean_cell(cell)
        if column not in mapped and str(text).strip():
            record[f"x_{column}"] = text.isoformat() if isinstance(text, (date, datetime)) else str(text)


def _merge(into: dict[str, Any], new: dict[str, Any], per_order: bool = False) -> None:
    """A later row wins, except: lists are unioned, the latest purchase and earliest sign-up are kept;
    in an order export (one row per order) amounts add up and orders are counted."""
    if per_order:
        into["spend_12m"] = float(into.get("spend_12m", 0.0)) + float(new.pop("spend_12m", 0.0))
        into["orders_12m"] = int(into.get("orders_12m", 1)) + int(new.pop("orders_12m", 1))
    for name, value in new.items():
        if isinstance(value, list):
            into[name] = sorted(set(into.get(name, [])) | set(value))
        elif name == "last_purchase_at" and into.get(name):
            into[name] = max(into[name], value)
        elif name == "first_seen_at" and into.get(name):
            into[name] = min(into[name], value)
        else:
            into[name] = value


def _read(path: Path, mapping: ColumnMapping, sheet: str | None,
          progress: bool = False) -> tuple[ImportReport, dict[str, dict[str, Any]]]:
    phone_headers = frozenset(c for f, c in mapping.columns.items() if f in ("phone", "phone_alt"))
    book = read_workbook(path, sheet, phone_headers)
    report = ImportReport(str(path), skipped=list(book.skipped))
    merged: dict[str, dict[str, Any]] = {}  # e164 -> record, file order kept
    for sh in book.sheets:
        source = f"{path}[{sh.name}]" if sh.name else str(path)
        columns, how = mapping.resolve(sh.header, source, sh.phone_column)
        per_order = any(normalise_header(h) in ORDER_ID_ALIASES for h in sh.header)
        report.sheets.append({"sheet": sh.name, "header_line": sh.header_line, "encoding": sh.encoding,
                              "rows": len(sh.rows), "columns": {f: columns[f] for f in columns},
                              "one_row_per_order": per_order,
                              "how": how, "unmapped": [h for h in sh.header if h not in columns.values()],
                              "skipped_above_header": sh.notes})
        for line, cells in tqdm(sh.rows, desc=f"reading {path.name} {sh.name}", unit="row", disable=not progress):
            report.rows_read += 1
            record, issues = parse_row(line, sh, cells, columns, mapping)
            if record is None:
                report.errors.extend(issues)
                continue
            report.warnings.extend(issues)
            report.rows_ok += 1
            e164 = record["phone"]
            if per_order and "orders_12m" not in columns:
                record["orders_12m"] = 1  # each row is one order
            if e164 in merged:
                report.duplicates_in_file += 1
                _merge(merged[e164], record, per_order)
            else:
                merged[e164] = record
    return report, merged


def import_customers(client: redis.Redis, path: str | Path, mapping: ColumnMapping,
                     campaign: str | None = None, progress: bool = False,
                     default_timezone: str = "Asia/Shanghai", sheet: str | None = None) -> ImportReport:
    # The whole file is read and checked before anything is written: a fatal error stores nothing.
    report, merged = _read(Path(path), mapping, sheet, progress)
    for record in merged.values():
        record.setdefault("timezone", timezone_for(record["phone"]) or default_timezone)
    store = CustomerStore(client)
    new, updated = store.upsert_many(list(merged.values()), progress=progress)
    report.new_customers, report.updated_customers = new, updated
    report.customer_ids = [keys.customer_id(e) for e in merged]
    if campaign and report.customer_ids:
        report.new_to_campaign = client.sadd(keys.CampaignKeys(campaign).members, *report.customer_ids)
        columns = {c for s in report.sheets for c in s["columns"]} | {
            k for r in merged.values() for k in r}
        client.sadd(keys.CampaignKeys(campaign).columns, *sorted(columns))
    return report


def preview(path: str | Path, mapping: ColumnMapping, sheet: str | None = None,
            rows: int = 5) -> tuple[ImportReport, list[dict[str, Any]]]:
    """A dry run: the detected mapping per sheet and the first rows as they will be stored."""
    report, merged = _read(Path(path), mapping, sheet)
    return report, list(merged.values())[:rows]


ISSUE_COLUMNS = ["line", "sheet", "column", "value", "reason", "severity", "phone", "name"]


def write_issues_csv(report: ImportReport, path: Path, encoding: str = "utf-8-sig", locale: str = "zh-CN") -> None:
    """Refused rows then cell warnings; UTF-8 with a BOM so Chinese Excel opens it right (or gbk).
    For a Chinese campaign two more columns say the same in Chinese (处理, 说明)."""
    from voicebot.campaign.import_messages import SEVERITY_ZH, reason_zh

    zh = is_chinese(locale)
    with path.open("w", newline="", encoding=encoding, errors="replace") as fh:
        w = csv.writer(fh)
        w.writerow(ISSUE_COLUMNS + (["处理", "说明"] if zh else []))
        for e in [*report.errors, *report.warnings]:
            row = [e.line, e.sheet, e.column, e.value, e.reason, e.severity, e.phone, e.name]
            w.writerow(row + ([SEVERITY_ZH[e.severity], reason_zh(e.reason)] if zh else []))
