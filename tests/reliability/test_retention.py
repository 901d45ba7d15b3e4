"""Retention and file permissions of recordings (personal data)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timezone

from voicebot.recording.recorder import CallRecorder
from voicebot.recording.retention import LOG_NAME, purge_expired

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=timezone.utc)


def _record(root, call_id, day):
    folder = root / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{call_id}.wav").write_bytes(b"RIFF" + b"\0" * 100)
    (folder / f"{call_id}.jsonl").write_text('{"who": "callee", "text": "hi"}\n', encoding="utf-8")


def test_recordings_and_transcripts_are_0640_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        rec = CallRecorder(tmp_path, "call-1", 8000, 320)
        rec.add_frames([b"\1\0" * 160], [None])
        rec.add_transcript("callee", "喂，你好", 0.0, 1.0)
        rec.close()
    finally:
        os.umask(old)
    for path in (rec.wav_path, rec.transcript_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path
    assert stat.S_IMODE(rec.wav_path.parent.stat().st_mode) == 0o750
    assert json.loads(rec.transcript_path.read_text(encoding="utf-8"))["text"] == "喂，你好"


def test_purge_deletes_only_expired_days_and_logs_each_file(tmp_path):
    _record(tmp_path, "old-a", "2026-03-01")
    _record(tmp_path, "old-b", "2026-03-31")   # 91 days before NOW: expired at 90
    _record(tmp_path, "edge", "2026-04-01")    # exactly 90 days: kept
    _record(tmp_path, "new", "2026-06-30")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.wav").write_bytes(b"x")  # not a dated folder: never touched
    (tmp_path / "2026-01-01").mkdir()
    (tmp_path / "2026-01-01" / "supervisor-notes.txt").write_text("keep")  # not a recording

    dry = purge_expired(tmp_path, 90, now=NOW, dry_run=True)
    assert len(dry.deleted_files) == 4 and (tmp_path / "2026-03-01" / "old-a.wav").exists()

    report = purge_expired(tmp_path, 90, now=NOW)
    assert sorted(report.deleted_files) == ["2026-03-01/old-a.jsonl", "2026-03-01/old-a.wav",
                                            "2026-03-31/old-b.jsonl", "2026-03-31/old-b.wav"]
    assert not (tmp_path / "2026-03-01").exists()
    for kept in ("2026-04-01/edge.wav", "2026-06-30/new.jsonl", "notes/keep.wav", "2026-01-01/supervisor-notes.txt"):
        assert (tmp_path / kept).exists(), kept
    audit = [json.loads(line) for line in (tmp_path / LOG_NAME).read_text(encoding="utf-8").splitlines()]
    assert [a["deleted"] for a in audit] == report.deleted_files
    assert all("older than 90 days" in a["reason"] for a in audit)
    assert stat.S_IMODE((tmp_path / LOG_NAME).stat().st_mode) == 0o640


def test_zero_days_keeps_everything(tmp_path):
    _record(tmp_path, "ancient", "2001-01-01")
    assert purge_expired(tmp_path, 0, now=NOW).deleted_files == []
    assert (tmp_path / "2001-01-01" / "ancient.wav").exists()


def test_purge_cli_uses_the_configured_days(tmp_path):
    rec = tmp_path / "rec"
    _record(rec, "old", "2000-01-01")
    _record(rec, "today", datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    env = {**os.environ, "VOICEBOT_PATHS__RECORDINGS_DIR": str(rec), "VOICEBOT_RECORDING__RETENTION_DAYS": "30"}
    out = subprocess.run([sys.executable, "-m", "voicebot", "recordings", "purge"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["retention_days"] == 30 and result["files"] == ["2000-01-01/old.jsonl", "2000-01-01/old.wav"]
    assert len(list(rec.glob("*/*.wav"))) == 1
    bad = subprocess.run([sys.executable, "-m", "voicebot", "recordings", "purge", "--days", "-1"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "--days" in bad.stdout
