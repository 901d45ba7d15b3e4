"""Recordings for the console: a metadata file beside each recording, search, and safe file access.

The session writes ``<date>/<call-id>.wav`` and ``.jsonl``; ``RecordingIndexSink`` (an event sink in
the bot process) adds ``<call-id>.json`` at call end: who was called, segment, outcome, emotions,
escalation. The console only ever opens files it resolved inside ``recordings_dir`` from a validated
date and call id: no client-supplied path reaches the file system.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from voicebot.call_events import CallEvent
from voicebot.logs import get_logger
from voicebot.recording.recorder import open_private
from voicebot.store.records import (
    MAX_FILE_BYTES,
    MAX_RECORD_BYTES,
    BadRecord,
    RecordingMeta,
    clean_metadata,
    clean_transcript_line,
    load_json,
    log_skipped,
)

_log = get_logger("voicebot.supervisor.recordings")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CALL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
KINDS = {"wav": "audio/wav", "jsonl": "application/x-ndjson", "json": "application/json"}


class RecordingIndexSink:
    """Writes the metadata file when a call ends (once per call, small, atomic rename)."""

    def __init__(self, mask: bool = False) -> None:
        self._started: dict[str, dict[str, Any]] = {}
        # recording.mask_transcripts: the metadata file is a stored copy too, masked by the same rule.
        self.mask = mask

    def __call__(self, event: CallEvent) -> None:
        if event.type == "call_started":
            self._started[event.call_id] = {"started": event.ts, **event.data}
        elif event.type == "call_answered" and event.data.get("remote") and event.call_id in self._started:
            self._started[event.call_id]["remote"] = event.data["remote"]
        elif event.type == "call_ended":
            started = self._started.pop(event.call_id, {})
            recording = event.data.get("recording")
            if not recording:
                return
            customer = started.get("customer") or {}
            meta = {
                "call_id": event.call_id, "started": started.get("started"), "ended": event.ts,
                "direction": started.get("direction"), "remote": started.get("remote"),
                "locale": started.get("locale"), "customer": customer, "segment": customer.get("segment", ""),
                "variant": customer.get("variant", ""), "outcome": event.data.get("outcome") or {},
                "latency_ms": event.data.get("latency_ms") or [],
            }
            if self.mask:
                from voicebot.masking import mask_value

                meta = mask_value(meta)
            path = Path(recording).with_suffix(".json")
            tmp = path.with_suffix(".json.tmp")
            try:
                with open_private(tmp, "w", encoding="utf-8") as f:
                    f.write(json.dumps(meta, ensure_ascii=False, default=str))
                os.replace(tmp, path)
            except OSError as exc:
                _log.warning("recording_meta_failed", call_id=event.call_id, error=str(exc))


@dataclass
class RecordingQuery:
    date_from: str = ""
    date_to: str = ""
    customer: str = ""  # substring of name, customer id or number
    outcome: str = ""  # answered_by / hang-up reason / final state
    grade: str = ""  # intent grade
    segment: str = ""
    limit: int = 200
    include_numbers: bool = False  # viewers may not find a customer by (part of) their number


class RecordingStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, day: str, call_id: str, kind: str) -> Path | None:
        """The file for a validated (day, call id, kind), or None: never a path outside ``root``."""
        if not (DAY.match(day) and CALL_ID.match(call_id) and kind in KINDS):
            return None
        root = self.root.resolve()
        candidate = (root / day / f"{call_id}.{kind}").resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

    def entry(self, day: str, call_id: str) -> dict[str, Any] | None:
        wav = self.path(day, call_id, "wav")
        if wav is None:
            return None
        meta = self.metadata(day, call_id, wav.with_suffix(".json"))
        outcome = meta.outcome
        return {
            "day": day, "call_id": call_id, "started": meta.started or wav.stat().st_mtime,
            "duration_s": meta.duration_s, "remote": meta.remote,
            "customer": meta.customer, "segment": meta.segment,
            "variant": meta.variant, "answered_by": outcome.get("answered_by") or "",
            "hangup": outcome.get("hangup_reason") or outcome.get("hung_up_by") or "",
            "final_state": outcome.get("final_state") or "", "intent_grade": outcome.get("intent_grade") or "",
            "escalation": outcome.get("escalation") or "", "transfer": outcome.get("transfer"),
            "tags": outcome.get("tags") or [], "emotions": outcome.get("emotions") or [], "outcome": outcome,
        }

    @staticmethod
    def metadata(day: str, call_id: str, path: Path) -> RecordingMeta:
        """The sidecar, validated: a missing file is empty metadata, a bad one is skipped (logged once)."""
        where = f"{day}/{call_id}.json"
        if not path.is_file():
            return RecordingMeta()
        try:
            with open(path, "rb") as f:
                meta = clean_metadata(load_json(f.read(MAX_RECORD_BYTES + 1), "metadata file"))
        except (OSError, BadRecord) as exc:
            log_skipped("recording metadata", where, exc)
            return RecordingMeta(problems=[str(exc)])
        for problem in meta.problems:
            log_skipped("recording metadata field", where, BadRecord(problem))
        return meta

    def search(self, q: RecordingQuery) -> list[dict[str, Any]]:
        if not self.root.is_dir():
            return []
        days = sorted((d.name for d in self.root.iterdir() if d.is_dir() and DAY.match(d.name)), reverse=True)
        out: list[dict[str, Any]] = []
        for day in days:
            if (q.date_from and day < q.date_from) or (q.date_to and day > q.date_to):
                continue
            wavs = sorted((self.root / day).glob("*.wav"), key=lambda p: p.stat().st_mtime, reverse=True)
            for wav in wavs:
                entry = self.entry(day, wav.stem)
                if entry is not None and _matches(entry, q):
                    out.append(entry)
                    if len(out) >= q.limit:
                        return out
        return out

    def transcript(self, day: str, call_id: str) -> list[dict[str, Any]]:
        path = self.path(day, call_id, "jsonl")
        if path is None:
            return []
        wav = self.path(day, call_id, "wav")
        duration = self.metadata(day, call_id, wav.with_suffix(".json")).duration_s if wav else None
        lines, bad = [], None
        for n, raw in enumerate(_read_capped(path).splitlines(), 1):
            if not raw.strip():
                continue
            try:
                lines.append(clean_transcript_line(load_json(raw, "transcript line"), duration))
            except BadRecord as exc:  # a line cut by a crash, or written wrong: skip it, keep the rest
                bad = bad or (n, exc)
        if bad:
            log_skipped("transcript line", f"{day}/{call_id}.jsonl:{bad[0]}", bad[1])
        return sorted(lines, key=lambda t: t["start"])


def _matches(entry: dict[str, Any], q: RecordingQuery) -> bool:
    if q.segment and entry["segment"] != q.segment:
        return False
    if q.grade and entry["intent_grade"] != q.grade:
        return False
    if q.outcome and q.outcome not in (entry["answered_by"], entry["hangup"], entry["final_state"]):
        return False
    if q.customer:
        customer = entry["customer"]
        if not q.include_numbers:
            # A viewer searches what a viewer is shown (masked, no phone field): a hidden digit never
            # matches, so trying prefixes cannot read a number one digit at a time.
            from voicebot.masking import mask_value

            customer = mask_value({k: v for k, v in customer.items() if k != "phone"})
        fields = [json.dumps(customer, ensure_ascii=False), entry["call_id"]]
        if q.include_numbers:
            fields.append(entry["remote"])
        hay = " ".join(fields).lower()
        if q.customer.lower() not in hay:
            return False
    return True


def _read_capped(path: Path) -> str:
    """A file's text, at most MAX_FILE_BYTES of it (a runaway file must not take the console's memory)."""
    with open(path, "rb") as f:
        return f.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")


def today() -> str:
    return date.today().isoformat()
