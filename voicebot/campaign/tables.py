"""Reading an export as tables: CSV in any common encoding, every sheet of a workbook, header found.

A CRM or a person in Excel puts a title, an export date or a blank line above the header; the
header is the row among the first ``HEADER_SCAN_ROWS`` that most looks like one (recognised
column names, a phone column above all). Sheets without a phone-like header (a 说明 / notes
sheet) are skipped and said so.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicebot.campaign.cli_messages import said
from voicebot.campaign.headers import header_score, match_field
from voicebot.errors import VoicebotError

HEADER_SCAN_ROWS = 20


class ImportFileError(VoicebotError):
    """The file itself cannot be read (format, encoding, header)."""


@dataclass
class Sheet:
    name: str  # sheet name; "" for a CSV
    header_line: int  # 1-based line / row of the header
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (line, cells) after the header, blank rows dropped
    encoding: str = ""
    notes: list[str] = field(default_factory=list)  # what was skipped above the header
    phone_column: str | None = None  # found from the values, when no header names the phone


@dataclass
class Workbook:
    sheets: list[Sheet]
    skipped: list[str]  # "sheet 说明: no phone column"


def decode_text(raw: bytes, source: str) -> tuple[str, str]:
    """(text, encoding): BOMs first, then strict UTF-8, then GB18030 (a superset of GBK/GB2312)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return raw.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    try:
        return raw.decode("big5"), "big5"
    except UnicodeDecodeError:
        raise said(ImportFileError, "file_encoding", path=source) from None


def read_workbook(path: Path, sheet: str | None = None, phone_headers: frozenset[str] = frozenset()) -> Workbook:
    if not path.exists():
        raise said(ImportFileError, "file_missing", path=path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, phone_headers)
    if suffix == ".xls":
        raise said(ImportFileError, "file_xls", path=path)
    if suffix in (".csv", ".txt", ".tsv", ""):
        if sheet:
            raise said(ImportFileError, "file_sheet_text", path=path)
        return _read_csv(path, phone_headers)
    raise said(ImportFileError, "file_type", path=path, suffix=suffix)


def _read_csv(path: Path, phone_headers: frozenset[str] = frozenset()) -> Workbook:
    text, encoding = decode_text(path.read_bytes(), str(path))
    if not text.strip():
        raise said(ImportFileError, "file_empty", path=path)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    lines: list[tuple[int, list[Any]]] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            lines.append((reader.line_num, [ImportFileError(f"malformed CSV: {exc}")]))
            continue
        if any(str(c).strip() for c in cells):
            lines.append((reader.line_num, cells))
    found = _with_header(str(path), "", lines, phone_headers)
    if found is None:
        raise said(ImportFileError, "file_no_header", path=path, n=HEADER_SCAN_ROWS)
    found.encoding = encoding
    return Workbook([found], [])


def _read_xlsx(path: Path, only: str | None, phone_headers: frozenset[str] = frozenset()) -> Workbook:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise said(ImportFileError, "file_bad_xlsx", path=path, exc=exc) from exc
    try:
        names = book.sheetnames
        if only is not None and only not in names:
            raise said(ImportFileError, "file_no_sheet", path=path, sheet=only, names=", ".join(names))
        sheets, skipped = [], []
        for ws in book.worksheets:
            if only is not None and ws.title != only:
                continue
            lines = [(i, ["" if c is None else c for c in row]) for i, row in enumerate(ws.iter_rows(values_only=True), 1)
                     if any(c not in (None, "") for c in row)]
            found = _with_header(f"{path}[{ws.title}]", ws.title, lines, phone_headers)
            if found is None:
                skipped.append(f"sheet {ws.title!r}: no header with a phone column, skipped"
                               if lines else f"sheet {ws.title!r}: empty, skipped")
            else:
                sheets.append(found)
    finally:
        book.close()
    if not sheets:
        raise said(ImportFileError, "file_no_sheet_header", path=path, skipped="; ".join(skipped))
    return Workbook(sheets, skipped)


_PHONE_LIKE = re.compile(r"^\+?(?:86)?(?:1[3-9]\d{9}|0\d{9,11})$|^\+\d{8,15}$")


def _phone_like(cell: Any) -> bool:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell)
    if len(text) > 40 or re.search(r"[*]|\d{4}-\d{1,2}-\d{1,2}", text):  # masked numbers and dates are not phones
        return False
    return bool(_PHONE_LIKE.match(re.sub(r"[^\d+]", "", text)))


def _sniff_phone_column(lines: list[tuple[int, list[Any]]], idx: int) -> int | None:
    """A column below row ``idx`` whose cells are mostly phone numbers (a header nobody names 电话)."""
    below = [cells for _line, cells in lines[idx + 1: idx + 31] if cells and not isinstance(cells[0], ImportFileError)]
    if len(below) < 1:
        return None
    width = max(len(c) for c in below)
    for col in range(width):
        values = [c[col] for c in below if col < len(c) and str(c[col]).strip()]
        if values and sum(_phone_like(v) for v in values) >= 0.6 * len(below):
            return col
    return None


def _with_header(source: str, name: str, lines: list[tuple[int, list[Any]]],
                 phone_headers: frozenset[str] = frozenset()) -> Sheet | None:
    """The sheet from its most header-like row on; None when no row names a phone column (by a
    recognised header, a header the mapping file names, or a column of phone numbers below it)."""
    best, sniffed = _named_header_row(lines, phone_headers), None
    if best is None:
        best, sniffed = _sniffed_header_row(lines)
    if best is None:
        return None
    header_line, header_cells = lines[best]
    header = _unique([str(c).strip() for c in header_cells])
    while header and not header[-1]:
        header.pop()
    notes = [f"line {ln}: {' '.join(str(c) for c in cells if str(c).strip())[:60]!r} above the header, skipped"
             for ln, cells in lines[:best]]
    if sniffed is not None:
        while len(header) <= sniffed:
            header.append(f"列{len(header) + 1}")
    return Sheet(name, header_line, header, lines[best + 1:], notes=notes,
                 phone_column=header[sniffed] if sniffed is not None else None)


def _is_error_row(cells: list[Any]) -> bool:
    return bool(cells) and isinstance(cells[0], ImportFileError)


def _named_header_row(lines: list[tuple[int, list[Any]]], phone_headers: frozenset[str]) -> int | None:
    """The index of the most header-like row that names a phone column; None when none does."""
    best, best_score = None, 0
    for idx, (_line, cells) in enumerate(lines[:HEADER_SCAN_ROWS]):
        score = 0 if _is_error_row(cells) else _phone_header_score(cells, phone_headers)
        if score > best_score:
            best, best_score = idx, score
    return best


def _phone_header_score(cells: list[Any], phone_headers: frozenset[str]) -> int:
    """How header-like a row naming a phone column is; 0 for a row that names none."""
    phone_cells = [match_field(str(c)) for c in cells if isinstance(c, str)]
    phone_cells = [m for m in phone_cells if m and m[0] in ("phone", "phone_alt")]
    if any(str(c).strip() in phone_headers for c in cells):
        phone_cells.append(("phone", "exact"))
    if not phone_cells:
        return 0
    score = header_score(cells)
    # A lone partial match is a sentence (联系电话请填写11位手机号 on a notes sheet), not a header.
    if score <= 3 and all(how != "exact" for _f, how in phone_cells):
        return 0
    return score


def _sniffed_header_row(lines: list[tuple[int, list[Any]]]) -> tuple[int | None, int | None]:
    """No header names a phone: (the first text row with a column of phone numbers under it, that column)."""
    for idx, (_line, cells) in enumerate(lines[:HEADER_SCAN_ROWS]):
        if _is_error_row(cells) or any(_phone_like(c) for c in cells) or sum(1 for c in cells if str(c).strip()) < 2:
            continue
        col = _sniff_phone_column(lines, idx)
        if col is not None:
            return idx, col
    return None, None


def _unique(header: list[str]) -> list[str]:
    """Blank headers become 列N; a repeated header gets a suffix (备注, 备注_2) so no column is lost."""
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(header, 1):
        h = h or f"列{i}"
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h}_{seen[h]}")
    return out


def iter_rows(sheet: Sheet) -> Iterator[tuple[int, list[Any]]]:
    yield from sheet.rows
