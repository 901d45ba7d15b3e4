"""Cities as canonical places: 杭州市 / 浙江杭州 / 杭州 -> city 杭州, province 浙江省; 上海市浦东新区 -> 上海, district 浦东新区.

Cities go through ``cpca`` (PyPI; its administrative-division table ships in the wheel, no network).
The short name is what segment rules compare (城市 in [杭州, 上海]) and what the bot says, so this sits on the
bottom floor: the CRM import and the dialogue both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

_MUNICIPALITIES = {"北京市", "上海市", "天津市", "重庆市"}


@dataclass(frozen=True)
class Place:
    city: str  # short canonical name: 杭州, 上海
    province: str  # 浙江省, 上海市
    district: str = ""


@lru_cache(maxsize=1)
def _cpca():
    try:
        import cpca  # noqa: PLC0415 - pandas behind it: loaded only when an export has a city column
    except ImportError:
        return None
    return cpca


@lru_cache(maxsize=4096)
def normalise_city(text: str) -> Place:
    """A city cell as a canonical place; ValueError when no city or province can be recognised."""
    raw = str(text).strip()
    cpca = _cpca()
    if cpca is None:
        raise ValueError(f"{raw!r}: city names need the cpca package (pip install cpca)")
    row = cpca.transform([raw]).iloc[0]
    province, city, district = (str(row[k]) if isinstance(row[k], str) else "" for k in ("省", "市", "区"))
    if province in _MUNICIPALITIES:
        city = province  # cpca files Shanghai's districts under 市辖区
    if not city:
        raise ValueError(f"{raw!r} is not a city we recognise")
    short = city[:-1] if city.endswith("市") and len(city) > 2 else city
    return Place(short, province, district)


def city_literal(value: str) -> str:
    """A rule's city (杭州市, 上海) in the form imported cities have; unchanged if not a known city."""
    try:
        return normalise_city(value).city
    except ValueError:
        return value
