"""Recording search: filters on the metadata, words said in the transcript, sorting, CSV export.

Viewers search masked text: nobody finds a customer by a number they may not see.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from voicebot.masking import mask_text
from voicebot.supervisor import i18n
from voicebot.supervisor.recordings import RecordingStore

SORTS = ("newest", "oldest", "longest", "shortest")
CSV_COLUMNS = ("day", "call_id", "started", "duration_s", "customer", "segment", "variant", "answered_by", "hangup",
               "intent_grade", "intents", "emotions", "escalation", "transfer_ok", "flagged", "match")


@dataclass
class SearchQuery:
    date_from: str = ""
    date_to: str = ""
    customer: str = ""
    text: str = ""  # words said, anywhere in the transcript (case-insensitive)
    outcome: str = ""
    grade: str = ""
    intent: str = ""
    emotion: str = ""
    escalated: str = ""  # "", "yes", "no"
    segment: str = ""
    variant: str = ""
    min_s: float | None = None
    max_s: float | None = None
    flagged: str = ""  # "", "yes"
    sort: str = "newest"
    limit: int = 200


def _emotions(entry: dict[str, Any]) -> list[str]:
    out = []
    for e in entry.get("emotions") or []:
        label = e.get("label") if isinstance(e, dict) else e
        if isinstance(label, str):
            out.append(label)
    return out


def _intents(entry: dict[str, Any]) -> list[str]:
    return [str(i) for i in (entry["outcome"].get("intents") or []) if isinstance(i, (str, int))]


def _duration(entry: dict[str, Any]) -> float | None:
    return entry["duration_s"] if isinstance(entry["duration_s"], (int, float)) else None


def _long_enough(q: SearchQuery, entry: dict[str, Any]) -> bool:
    duration = _duration(entry)
    return duration is not None and q.min_s is not None and duration >= q.min_s


def _short_enough(q: SearchQuery, entry: dict[str, Any]) -> bool:
    duration = _duration(entry)
    return duration is not None and q.max_s is not None and duration <= q.max_s


# Filters on the metadata the store does not apply: (asked for, entry passes). A call of unknown
# length passes no length bound.
_FILTERS: tuple[tuple[Callable[[SearchQuery], bool], Callable[[SearchQuery, dict[str, Any]], bool]], ...] = (
    (lambda q: bool(q.variant), lambda q, e: e["variant"] == q.variant),
    (lambda q: bool(q.intent), lambda q, e: q.intent in _intents(e)),
    (lambda q: bool(q.emotion), lambda q, e: q.emotion in _emotions(e)),
    (lambda q: bool(q.escalated), lambda q, e: (q.escalated == "yes") == bool(e["escalation"])),
    (lambda q: q.min_s is not None, _long_enough),
    (lambda q: q.max_s is not None, _short_enough),
)
_SORT_KEYS: dict[str, Callable[[dict[str, Any]], float]] = {
    "newest": lambda e: -e["started"], "oldest": lambda e: e["started"],
    "longest": lambda e: -(e["duration_s"] or 0), "shortest": lambda e: e["duration_s"] or 0}


def search(store: RecordingStore, q: SearchQuery, include_numbers: bool,
           flagged: Callable[[str, str], bool]) -> list[dict[str, Any]]:
    from voicebot.supervisor.recordings import RecordingQuery

    base = RecordingQuery(q.date_from, q.date_to, q.customer, q.outcome, q.grade, q.segment, 100_000,
                          include_numbers=include_numbers)
    needle = q.text.strip().lower()
    filters = [passes for asked, passes in _FILTERS if asked(q)]
    out = []
    for entry in store.search(base):
        if not all(passes(q, entry) for passes in filters):
            continue
        is_flagged = flagged(entry["day"], entry["call_id"])
        if q.flagged == "yes" and not is_flagged:
            continue
        match = _words_said(store, entry, needle, include_numbers) if needle else ""
        if needle and not match:
            continue
        out.append({**entry, "flagged": is_flagged, "match": match, "intents": _intents(entry)})
    out.sort(key=_SORT_KEYS.get(q.sort, _SORT_KEYS["newest"]))
    return out[:q.limit]


def _words_said(store: RecordingStore, entry: dict[str, Any], needle: str, include_numbers: bool) -> str:
    """The first transcript line with ``needle`` in it (masked unless numbers may be seen); "" if none."""
    for line in store.transcript(entry["day"], entry["call_id"]):
        said = line["text"] if include_numbers else mask_text(line["text"])
        if needle in said.lower():
            return said
    return ""


def to_csv(entries: list[dict[str, Any]], locale: str = i18n.DEFAULT) -> str:
    """English keeps the column names scripts read; zh-CN is for a manager opening it in Excel:
    Chinese headings, 是/否, who answered and emotions in words (codes a script needs stay as they are)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    zh = locale == "zh-CN"
    writer.writerow([i18n.translator(locale)(f"csv.{c}") for c in CSV_COLUMNS] if zh else CSV_COLUMNS)
    yes, no = ("是", "否") if zh else ("yes", "no")
    for e in entries:
        transfer = e.get("transfer")
        answered = i18n.value_label(locale, "answered", e["answered_by"]) if zh and e["answered_by"] else e["answered_by"]
        emotions = [i18n.value_label(locale, "emotion", x) for x in _emotions(e)] if zh else _emotions(e)
        row = [e["day"], e["call_id"], _local_time(e["started"]), e["duration_s"] if e["duration_s"] is not None else "",
               e["customer"].get("name") or e["remote"], e["segment"], e["variant"], answered, e["hangup"],
               e["intent_grade"], " ".join(e.get("intents") or []), " ".join(emotions), e["escalation"],
               "" if not isinstance(transfer, dict) else (yes if transfer.get("ok") else no),
               yes if e.get("flagged") else "", e.get("match", "")]
        # A cell starting with = + - @ is a formula in Excel: quote it as text (CSV injection).
        writer.writerow([("'" + c) if isinstance(c, str) and c[:1] in ("=", "+", "-", "@", "\t", "\r") else c
                         for c in row])
    return buf.getvalue()


def _local_time(ts: float) -> str:
    """The console host's local time with its offset (2026-09-21T22:13:20+08:00): what a spreadsheet
    user reads, and still exact."""
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds") if ts else ""
