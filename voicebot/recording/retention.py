"""Retention: recordings and transcripts older than ``recording.retention_days`` are deleted.

Recordings live in ``<recordings_dir>/<YYYY-MM-DD>/<call-id>.{wav,jsonl,json}`` (UTC day of the call).
A day folder is expired when its whole day lies more than ``retention_days`` in the past, so a
call is kept at least that long. Every deletion is written to ``<recordings_dir>/retention.log``
(JSON lines: when, what, why) before the file goes, so the trail survives a crash half way.
Files that are not recordings (anything outside dated folders) are never touched.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from voicebot.logs import get_logger
from voicebot.recording.recorder import FILE_MODE

DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# .raw.enc: the encrypted unmasked transcript; .json: the console's sidecar (number, name, outcome).
RECORDING_SUFFIXES = (".wav", ".jsonl", ".enc", ".json")
LOG_NAME = "retention.log"

log = get_logger("voicebot.recording.retention")


@dataclass
class RetentionReport:
    cutoff: date
    deleted_files: list[str] = field(default_factory=list)
    deleted_bytes: int = 0
    kept_days: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"cutoff": self.cutoff.isoformat(), "deleted_files": len(self.deleted_files),
                "deleted_bytes": self.deleted_bytes, "kept_days": self.kept_days, "errors": self.errors}


def purge_expired(root: Path, retention_days: int, now: datetime | None = None,
                  dry_run: bool = False) -> RetentionReport:
    """Delete recordings of days older than ``retention_days``; 0 keeps everything."""
    now = now or datetime.now(timezone.utc)
    cutoff = (now - timedelta(days=retention_days)).date()
    report = RetentionReport(cutoff=cutoff)
    root = Path(root)
    if retention_days <= 0 or not root.is_dir():
        return report
    for day_dir in sorted(p for p in root.iterdir() if p.is_dir() and DAY_FOLDER.match(p.name)):
        try:
            day = date.fromisoformat(day_dir.name)
        except ValueError:
            continue  # 2025-13-40: not ours
        if day >= cutoff:
            report.kept_days += 1
            continue
        for path in sorted(day_dir.iterdir()):
            if not (path.is_file() and path.suffix in RECORDING_SUFFIXES) or path.is_symlink():
                continue
            size = path.stat().st_size
            if not dry_run:
                try:
                    _audit(root, {"at": now.isoformat(), "deleted": str(path.relative_to(root)), "bytes": size,
                                  "reason": f"older than {retention_days} days (cutoff {cutoff})"})
                    path.unlink()
                except OSError as exc:
                    report.errors.append(f"{path}: {exc.strerror or exc}")
                    continue
            report.deleted_files.append(str(path.relative_to(root)))
            report.deleted_bytes += size
        if not dry_run:
            try:
                day_dir.rmdir()  # only when nothing else was left in it
            except OSError:
                pass
    log.info("retention_run", root=str(root), dry_run=dry_run, **report.to_dict())
    return report


def _audit(root: Path, entry: dict) -> None:
    fd = os.open(root / LOG_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
