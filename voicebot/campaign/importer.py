"""Customer import from CSV / XLSX exports: validate every row, keep the good ones, merge duplicates.

A row with any bad cell is reported (line, column, reason) and skipped whole; good rows are merged
by E.164 number into what is already stored (new non-empty values win, tags/categories are
unioned), so a bad or partial import never loses stored data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import redis
from tqdm import tqdm

from voicebot.campaign import keys, values
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.mapping import FIELDS, ColumnMapping
from voicebot.campaign.phones import PhoneError, normalise_phone, timezone_for
from voicebot.errors import VoicebotError


class ImportFileError(VoicebotError):
    """The file itself cannot be read (format, encoding, header)."""


@dataclass(frozen=True)
class RowError:
    line: int  # line in the CSV file (header = 1) or row in the sheet
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    rows_read: int = 0
    rows_ok: int = 0
    new_customers: int = 0
    updated_customers: int = 0
    duplicates_in_file: int = 0
    errors: list[RowError] = field(default_factory=list)
    customer_ids: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({e.line for e in self.errors})

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "rows_read": self.rows_read, "rows_ok": self.rows_ok,
                "bad_rows": self.bad_rows, "new_customers": self.new_customers,
                "updated_customers": self.updated_customers, "duplicates_in_file": self.duplicates_in_file}


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """Header and (line, cells) rows of a .csv / .xlsx file."""
    if not path.exists():
        raise ImportFileError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    raise ImportFileError(f"{path}: unsupported file type {suffix!r}; use .csv or .xlsx")


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese CRMs often export GBK
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(f"{path}: neither UTF-8 nor GB18030 text")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFileError(f"{path}: empty file, no header row") from None
    except csv.Error as exc:
        raise ImportFileError(f"{path}: malformed CSV header: {exc}") from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, [ImportFileError(f"malformed CSV: {exc}")]
                continue
            if any(c.strip() for c in cells):
                yield reader.line_num, cells

    return header, rows()


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportFileError(f"{path}: not a readable .xlsx workbook: {exc}") from exc
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    try:
        header = ["" if h is None else str(h).strip() for h in next(it)]
    except StopIteration:
        raise ImportFileError(f"{path}: empty sheet, no header row") from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for line, cells in enumerate(it, start=2):
            if any(c not in (None, "") for c in cells):
                yield line, ["" if c is None else c for c in cells]
        book.close()

    return header, rows()


def parse_row(line: int, header: list[str], cells: list[Any], mapping: ColumnMapping) -> tuple[dict[str, Any], list[RowError]]:
    """One row into canonical fields; every bad cell is reported, not just the first."""
    if cells and isinstance(cells[0], ImportFileError):
        return {}, [RowError(line, "*", str(cells[0]))]
    if len(cells) != len(header):
        return {}, [RowError(line, "*", f"row has {len(cells)} fields, header has {len(header)}")]
    by_header = dict(zip(header, cells))
    record: dict[str, Any] = {}
    errors: list[RowError] = []
    for fld, column in mapping.columns.items():
        cell = by_header.get(column, "")
        text = cell if isinstance(cell, datetime) else str(cell).strip()
        if text == "":
            if fld == "phone":
                errors.append(RowError(line, column, "phone number is empty"))
            continue
        try:
            record[fld] = _parse_field(fld, text, mapping)
        except (ValueError, PhoneError) as exc:
            errors.append(RowError(line, column, str(exc)))
    if mapping.keep_unmapped:
        mapped = set(mapping.columns.values())
        for column, cell in by_header.items():
            if column and column not in mapped and str(cell).strip():
                record[f"x_{column}"] = str(cell).strip()
    return record, errors


def _parse_field(fld: str, text: Any, mapping: ColumnMapping) -> Any:
    kind = FIELDS[fld]
    if fld == "phone":
        return normalise_phone(str(text), mapping.region)
    if fld == "channel":
        return values.parse_channel(text)
    if fld == "timezone":
        return values.parse_timezone(text)
    if fld == "locale":
        return values.parse_locale(text)
    if fld == "discount_order_share":
        return values.parse_share(str(text))
    parsers = {"int": values.parse_int, "float": values.parse_float, "hour": values.parse_hour,
               "bool": values.parse_bool, "list": values.parse_list, "str": str}
    if kind == "date":
        return values.parse_date(text, mapping.date_formats).isoformat()
    return parsers[kind](str(text))


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for name, value in new.items():
        if isinstance(value, list):
            into[name] = sorted(set(into.get(name, [])) | set(value))
        else:
            into[name] = value


def import_customers(client: redis.Redis, path: str | Path, mapping: ColumnMapping,
                     campaign: str | None = None, progress: bool = False,
                     default_timezone: str = "Asia/Shanghai") -> ImportReport:
    path = Path(path)
    header, rows = read_table(path)
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise ImportFileError(f"{path}: duplicate column headers {dupes}")
    mapping.check_headers(header, str(path))
    report = ImportReport(str(path))
    merged: dict[str, dict[str, Any]] = {}  # e164 -> record, file order kept
    # Validate the whole file before writing anything: a fatal error half-way stores nothing.
    for line, cells in tqdm(rows, desc=f"reading {path.name}", unit="row", disable=not progress):
        report.rows_read += 1
        record, errors = parse_row(line, header, cells, mapping)
        if errors:
            report.errors.extend(errors)
            continue
        report.rows_ok += 1
        e164 = record["phone"]
        if e164 in merged:
            report.duplicates_in_file += 1
            _merge(merged[e164], record)
        else:
            merged[e164] = record
    for record in merged.values():
        record.setdefault("timezone", timezone_for(record["phone"]) or default_timezone)
    store = CustomerStore(client)
    new, updated = store.upsert_many(list(merged.values()), progress=progress)
    report.new_customers, report.updated_customers = new, updated
    report.customer_ids = [keys.customer_id(e) for e in merged]
    if campaign and report.customer_ids:
        client.sadd(keys.CampaignKeys(campaign).members, *report.customer_ids)
    return report
