"""Column mapping files: which column of a CRM / order / web-log export feeds which customer field.

YAML or JSON::

    columns:            # canonical field: column header in the export
      phone: 手机号
      name: 姓名
      last_purchase_at: 最近购买日期
    region: CN          # how numbers without a country code are read
    date_formats: ["%Y-%m-%d", "%Y/%m/%d"]
    keep_unmapped: true # other columns are stored as x_<header>

Canonical fields and their types are ``FIELDS`` below; ``phone`` is the only one required.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from voicebot.errors import VoicebotError

# field -> type: str, int, float, date, bool, hour (0-23), list (";"-separated)
FIELDS: dict[str, str] = {
    "phone": "str",
    "crm_id": "str",  # the CRM's own customer id
    "name": "str",
    "locale": "str",  # zh-CN / en-US
    "timezone": "str",  # IANA name; else derived from the number, else the campaign default
    "last_purchase_at": "date",
    "first_seen_at": "date",
    "orders_12m": "int",
    "spend_12m": "float",
    "discount_order_share": "float",  # share of orders bought on discount, 0-1
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


class MappingError(VoicebotError):
    """The mapping file is unreadable or names unknown fields / missing columns."""


@dataclass
class ColumnMapping:
    columns: dict[str, str]  # field -> header
    region: str = "CN"
    date_formats: list[str] = field(default_factory=lambda: list(DEFAULT_DATE_FORMATS))
    keep_unmapped: bool = True
    optional_columns: bool = False  # True: mapped columns other than phone may be absent

    @classmethod
    def identity(cls) -> ColumnMapping:
        """Headers already named like the canonical fields (the default without a mapping file)."""
        return cls({name: name for name in FIELDS}, optional_columns=True)

    def check_headers(self, headers: list[str], source: str) -> None:
        if "phone" not in self.columns:
            raise MappingError("mapping has no 'phone' column; every customer needs a number")
        missing = [f"{fld} -> {col!r}" for fld, col in self.columns.items() if col not in headers]
        if self.columns["phone"] not in headers:
            raise MappingError(f"{source}: phone column {self.columns['phone']!r} not in header {headers}")
        if missing and not self.optional_columns:
            raise MappingError(f"{source}: mapped columns not in header: {', '.join(missing)}; header is {headers}")


def load_mapping(path: str | Path | None) -> ColumnMapping:
    if path is None:
        return ColumnMapping.identity()
    path = Path(path)
    if not path.exists():
        raise MappingError(f"mapping file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"mapping file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise MappingError(f"mapping file {path} needs a 'columns:' table of field: column header")
    unknown = sorted(set(data["columns"]) - set(FIELDS))
    if unknown:
        raise MappingError(f"mapping file {path}: unknown fields {unknown}; known fields are {sorted(FIELDS)}")
    formats = data.get("date_formats", DEFAULT_DATE_FORMATS)
    if isinstance(formats, str):
        formats = [formats]
    return ColumnMapping(
        columns={str(k): str(v) for k, v in data["columns"].items()},
        region=str(data.get("region", "CN")).upper(),
        date_formats=list(formats),
        keep_unmapped=bool(data.get("keep_unmapped", True)),
    )
