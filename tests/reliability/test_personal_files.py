"""Issue #20 item 4: every copy of personal data follows retention and is 0640. Retention deleted
recordings and transcripts but never the <call-id>.json sidecars (full number and name), and
`campaign report` wrote calls.csv (names and numbers) as 0644."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timezone

from voicebot.campaign.report import _write_calls_csv
from voicebot.campaign.report_text import text_for
from voicebot.recording.retention import purge_expired
from voicebot.session.events import CallEvent
from voicebot.supervisor.recordings import RecordingIndexSink

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=timezone.utc)


def test_retention_deletes_the_sidecars_with_their_recordings(tmp_path):
    day = tmp_path / "2026-03-01"
    day.mkdir()
    wav = day / "c1.wav"
    wav.write_bytes(b"RIFF" + b"\0" * 100)
    (day / "c1.jsonl").write_text('{"who": "callee", "text": "hi"}\n', encoding="utf-8")
    sink = RecordingIndexSink()  # the real writer of the sidecar
    sink(CallEvent("call_started", "c1", {"remote": "sip:+8613800138000@pbx", "customer": {"name": "王先生"}}))
    sink(CallEvent("call_ended", "c1", {"recording": str(wav)}))
    sidecar = day / "c1.json"
    assert json.loads(sidecar.read_text(encoding="utf-8"))["customer"]["name"] == "王先生"
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o640
    report = purge_expired(tmp_path, 90, now=NOW)
    assert sorted(report.deleted_files) == ["2026-03-01/c1.json", "2026-03-01/c1.jsonl", "2026-03-01/c1.wav"]
    assert not day.exists()


def test_calls_csv_is_0640_whatever_the_umask(redis_client, tmp_path):
    old = os.umask(0)
    try:
        path = _write_calls_csv(redis_client, tmp_path / "calls.csv", [], text_for("zh-CN"), str,
                                datetime.now().astimezone().tzinfo, "supervisor", "utf-8-sig")
        again = _write_calls_csv(redis_client, tmp_path / "calls.csv", [], text_for("zh-CN"), str,
                                 datetime.now().astimezone().tzinfo, "supervisor", "utf-8-sig")  # rewritten in place
    finally:
        os.umask(old)
    assert path == again and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text(encoding="utf-8-sig").startswith(text_for("zh-CN")["calls_csv"][0])


def test_retention_trims_the_event_stream_by_age(redis_client):
    from voicebot.store.events import EVENTS_STREAM, trim_event_stream

    now = NOW.timestamp()
    for days_ago in (200, 120, 91, 89, 1):
        ms = int((now - days_ago * 86400) * 1000)
        redis_client.xadd(EVENTS_STREAM, {"json": json.dumps({"days_ago": days_ago})}, id=f"{ms}-0")
    assert trim_event_stream(redis_client, 0, now=now) == 0  # 0 keeps everything
    assert trim_event_stream(redis_client, 90, now=now) == 3
    left = [json.loads(f["json"])["days_ago"] for _, f in redis_client.xrange(EVENTS_STREAM)]
    assert left == [89, 1]
