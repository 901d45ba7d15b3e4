"""Time phrases: the product's own readers against jionlp's time parser, on the trial's phrases.

    PYTHONPATH=. .venv/bin/python benchmarks/time_phrases.py

Scores each reader on benchmarks/data/time_phrases.tsv (callback phrases, calling notes and named
shopping days, labelled by hand at a fixed reference time) and writes
benchmarks/results/time_phrases.json. The reader that is right more often is the product's path;
jionlp is scored only where it is importable (it is not a dependency), else recorded as unavailable
with the reason.
"""

from __future__ import annotations

import json
import platform
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from voicebot.campaign.freeform import parse_contact_time
from voicebot.campaign.normalise import shopping_day
from voicebot.dialogue.callback_time import parse_when

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "time_phrases.tsv"
OUT = HERE / "results" / "time_phrases.json"
ZONE = ZoneInfo("Asia/Shanghai")
REFERENCE = datetime(2026, 11, 18, 15, 0, tzinfo=ZONE)


@dataclass(frozen=True)
class Note:
    """A calling note in the labels' terms: hour windows [start, end) or None, and days."""

    prefer: tuple[int, int] | None
    avoid: tuple[int, int] | None
    days: str


# A reader answers a phrase with a datetime (callback), a Note (note) or a date (shopping); None = no answer.
Reader = Callable[[str, str], object]


def load(path: Path = DATA) -> list[tuple[str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("kind\t"):
            continue
        kind, phrase, expected = line.split("\t")
        rows.append((kind, phrase, expected))
    return rows


# --- scoring ---------------------------------------------------------------------------------------
def _window(text: str) -> tuple[int, int] | None:
    return None if text == "-" else tuple(int(h) for h in text.split("-"))  # type: ignore[return-value]


def _overlaps(got: tuple[int, int] | None, want: tuple[int, int] | None) -> bool:
    if got is None or want is None:
        return got == want
    inter = max(0, min(got[1], want[1]) - max(got[0], want[0]))
    union = max(got[1], want[1]) - min(got[0], want[0])
    return inter * 2 >= union


def is_right(kind: str, expected: str, got: object) -> bool:
    if got is None:
        return False
    if kind == "callback":
        m = re.fullmatch(r"(\S+) (\d\d:\d\d)(?:\.\.(\d\d:\d\d))?", expected)
        assert m, expected
        lo = datetime.fromisoformat(f"{m.group(1)} {m.group(2)}").replace(tzinfo=ZONE)
        if not m.group(3):
            return got == lo
        hi = datetime.fromisoformat(f"{m.group(1)} {m.group(3)}").replace(tzinfo=ZONE)
        return lo <= got < hi  # type: ignore[operator]
    if kind == "note":
        want = dict(part.split("=") for part in expected.split(";"))
        return (isinstance(got, Note) and got.days == want["days"] and _overlaps(got.prefer, _window(want["prefer"]))
                and _overlaps(got.avoid, _window(want["avoid"])))
    day, _, slack = expected.partition("~")
    return abs((got - date.fromisoformat(day)).days) <= int(slack or 0)  # type: ignore[operator]


# --- readers -----------------------------------------------------------------------------------------
def product(kind: str, phrase: str) -> object:
    if kind == "callback":
        when = parse_when(phrase, REFERENCE, "zh-CN")
        return when.at if when else None
    if kind == "note":
        try:
            read = parse_contact_time(phrase)
        except ValueError:
            return None
        prefer = (read.start, read.end) if read.start is not None else None
        return Note(prefer, read.avoid, read.days)
    return shopping_day(phrase, REFERENCE.date())


def jionlp_reader() -> tuple[Reader | None, str]:
    """jionlp.parse_time as a reader (points and spans: their start; deltas: from the reference time).
    It has no negation, so a note is read as a preference only."""
    try:
        import jionlp as jio  # noqa: PLC0415 - optional: measured only where installed
    except ImportError as exc:
        return None, (f"jionlp is not importable here ({exc}): it is not a dependency of the project; "
                      "`pip install jionlp` (PyPI) to score it too")
    base = REFERENCE.replace(tzinfo=None)

    def parse(phrase: str) -> dict | None:
        try:
            return jio.parse_time(phrase, time_base=base.timestamp())
        except Exception:  # jionlp raises plain exceptions for phrases it cannot read
            return None

    def start(res: dict | None) -> datetime | None:
        if not res:
            return None
        if res.get("type") == "time_delta" and isinstance(res.get("time"), dict):
            units = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}
            seconds = sum(float(v) * units.get(k, 0) for k, v in res["time"].items() if not isinstance(v, list))
            return REFERENCE + timedelta(seconds=seconds)
        if res.get("type") in ("time_point", "time_span") and isinstance(res.get("time"), list):
            try:
                return datetime.fromisoformat(str(res["time"][0])).replace(tzinfo=ZONE)
            except ValueError:
                return None
        return None

    def read(kind: str, phrase: str) -> object:
        res = parse(phrase)
        if kind == "callback":
            return start(res)
        if kind == "shopping":
            at = start(res)
            return at.date() if at else None
        if not res or res.get("type") not in ("time_point", "time_span"):
            return None
        try:
            lo, hi = (datetime.fromisoformat(str(t)) for t in res["time"][:2])
        except ValueError:  # an open span ("inf") names no window
            return None
        return Note((lo.hour, min(24, hi.hour + 1)) if (hi - lo) < timedelta(days=1) else None, None, "any")

    return read, ""


def score(reader: Reader, rows: list[tuple[str, str, str]]) -> dict:
    by_kind: dict[str, list[int]] = {}
    misses = []
    t0 = time.perf_counter()
    for kind, phrase, expected in rows:
        got = reader(kind, phrase)
        ok = is_right(kind, expected, got)
        by_kind.setdefault(kind, [0, 0])
        by_kind[kind][0] += ok
        by_kind[kind][1] += 1
        if not ok:
            misses.append({"kind": kind, "phrase": phrase, "expected": expected,
                           "got": got.isoformat() if hasattr(got, "isoformat") else repr(got)})
    right = sum(v[0] for v in by_kind.values())
    return {"right": right, "n": len(rows), "accuracy": round(right / len(rows), 3),
            "by_kind": {k: {"right": v[0], "n": v[1]} for k, v in by_kind.items()},
            "ms_per_phrase": round((time.perf_counter() - t0) * 1000 / len(rows), 3), "misses": misses}


def main() -> int:
    rows = load()
    result: dict = {"reference_time": REFERENCE.isoformat(), "phrases": len(rows), "data": str(DATA.relative_to(HERE)),
                    "python": platform.python_version(),
                    "note": "the trial's own phrases, which the product's readers were written for: a check that "
                            "they hold, not a held-out accuracy",
                    "product": score(product, rows)}
    jio, reason = jionlp_reader()
    if jio is None:
        result["jionlp"] = {"available": False, "reason": reason}
        result["kept"] = "product (jionlp could not be measured)"
    else:
        import jionlp  # noqa: PLC0415

        result["jionlp"] = {"available": True, "version": getattr(jionlp, "__version__", "?"), **score(jio, rows)}
        better = result["jionlp"]["right"] > result["product"]["right"]
        result["kept"] = "jionlp" if better else "product"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    p = result["product"]
    print(f"product: {p['right']}/{p['n']} ({p['accuracy']:.1%}) "
          + ", ".join(f"{k} {v['right']}/{v['n']}" for k, v in p["by_kind"].items()))
    if result["jionlp"]["available"]:
        j = result["jionlp"]
        print(f"jionlp:  {j['right']}/{j['n']} ({j['accuracy']:.1%})")
    else:
        print(f"jionlp: unavailable: {reason}")
    for miss in p["misses"]:
        print(f"  product missed {miss['phrase']!r}: expected {miss['expected']}, got {miss['got']}")
    print(f"kept: {result['kept']}; wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
