"""Column mappings: which column of a CRM / order / web-log export feeds which customer field.

Without a file, columns are recognised from their headers (``headers.ALIASES``). A mapping file
(YAML or JSON, documented in docs/campaigns.md) names the columns detection gets wrong or misses;
the rest is still detected unless ``auto_detect: false``::

    columns:            # canonical field: column header in the export
      phone: 客户手机
      last_purchase_at: 末单日
    region: CN          # how numbers without a country code are read
    day_first: true     # 03/04/2025 is 3 April (a cell warning says so)
    date_formats: ["%d-%b-%Y"]   # extra formats, tried first
    keep_unmapped: true # other columns are stored too, as x_<header>

Canonical fields and their types are ``FIELDS`` below; a callable ``phone`` is the only must.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from voicebot.campaign.cli_messages import said
from voicebot.errors import VoicebotError

# field -> type: str, int, float, date, bool, hour (a contact time), list (";"-separated), gender, share
FIELDS: dict[str, str] = {
    "phone": "str",
    "phone_alt": "str",  # a second number (座机), dialled when the mobile is empty or unusable
    "gender": "gender",  # male / female
    "age": "int",
    "birthday": "date",
    "city": "str",
    "member_level": "str",  # as the CRM spells it (金卡, VIP3, Gold); a level also means member = yes
    "preferred_time": "hour",  # free text (工作日晚上, 9-11点) -> preferred_hour/_end/_days
    "notes": "str",
    "crm_id": "str",  # the CRM's own customer id
    "name": "str",
    "first_name": "str",  # split name columns (First Name / Last Name, 姓 / 名) make ``name``
    "last_name": "str",
    "locale": "str",  # zh-CN / en-US
    "timezone": "str",  # IANA name; else derived from the number, else the campaign default
    "last_purchase_at": "date",
    "first_seen_at": "date",
    "orders_12m": "int",
    "spend_12m": "float",
    "discount_order_share": "share",  # share of orders bought on discount, 0-1
    "coupon_uses": "int",
    "channel": "str",  # preferred contact channel: phone, sms, wechat, app, web, store
    "categories": "list",  # product categories bought / browsed
    "preferred_hour": "hour",  # local hour the customer usually answers / is active
    "visits_30d": "int",  # web/app sessions in the last 30 days
    "member": "bool",
    "points": "int",
    "tags": "list",
    "persona": "str",  # only for the simulated dialer
}
DEFAULT_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d", "%d.%m.%Y"]
# Fields stored by the import besides FIELDS (derived from preferred_time).
DERIVED_FIELDS = ("preferred_hour_end", "preferred_days")


class MappingError(VoicebotError):
    """The mapping file is unreadable or names unknown fields / missing columns."""


@dataclass
class ColumnMapping:
    columns: dict[str, str]  # field -> header
    region: str = "CN"
    date_formats: list[str] = field(default_factory=lambda: list(DEFAULT_DATE_FORMATS))
    keep_unmapped: bool = True
    optional_columns: bool = False  # True: mapped columns other than phone may be absent
    auto_detect: bool = True  # fields the file does not name are recognised from the headers
    day_first: bool = True

    @classmethod
    def identity(cls) -> ColumnMapping:
        """No mapping file: every column recognised from its header."""
        return cls({}, optional_columns=True)

    def resolve(self, headers: list[str], source: str,
                phone_by_values: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
        """(field -> column, field -> how it was found) for one sheet's header."""
        from voicebot.campaign.headers import detect_columns

        columns = dict(self.columns)
        how = {fld: "mapping file" for fld in columns}
        if phone_by_values and "phone" not in columns:
            columns["phone"], how["phone"] = phone_by_values, "recognised from its values (phone numbers)"
        if self.auto_detect:
            used = set(columns.values())
            for m in detect_columns([h for h in headers if h not in used]):
                if m.field not in columns and m.field in FIELDS:
                    columns[m.field] = m.column
                    how[m.field] = "recognised" if m.how == "exact" else "recognised (partial header)"
        self.check_headers(columns, headers, source)
        present = {f: c for f, c in columns.items() if c in headers}
        return present, {f: how[f] for f in present}

    def check_headers(self, columns: dict[str, str], headers: list[str], source: str) -> None:
        if "phone" not in columns:
            raise said(MappingError, "mapping_no_phone", path=source, headers=headers)
        if columns["phone"] not in headers:
            raise said(MappingError, "mapping_phone_absent", path=source, column=columns["phone"], headers=headers)
        missing = [f"{fld} -> {col!r}" for fld, col in columns.items() if col not in headers]
        if missing and not self.optional_columns:
            raise said(MappingError, "mapping_absent", path=source, missing=", ".join(missing), headers=headers)


def load_mapping(path: str | Path | None) -> ColumnMapping:
    if path is None:
        return ColumnMapping.identity()
    path = Path(path)
    if not path.exists():
        raise said(MappingError, "mapping_missing", path=path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise said(MappingError, "mapping_invalid", path=path, kind="JSON" if path.suffix == ".json" else "YAML",
                   exc=exc) from exc
    if isinstance(data, dict) and data.get("columns") is None:
        data["columns"] = {}
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise said(MappingError, "mapping_no_columns", path=path)
    unknown = sorted(set(data["columns"]) - set(FIELDS))
    if unknown:
        raise said(MappingError, "mapping_unknown", path=path, unknown=unknown, known=sorted(FIELDS))
    formats = data.get("date_formats", [])
    if isinstance(formats, str):
        formats = [formats]
    formats = [*formats, *[f for f in DEFAULT_DATE_FORMATS if f not in formats]]
    return ColumnMapping(
        columns={str(k): str(v) for k, v in data["columns"].items()},
        region=str(data.get("region", "CN")).upper(),
        date_formats=list(formats),
        keep_unmapped=bool(data.get("keep_unmapped", True)),
        optional_columns=bool(data.get("optional_columns", False)),
        auto_detect=bool(data.get("auto_detect", True)),
        day_first=bool(data.get("day_first", True)),
    )
