"""Smaller console fixes: campaign names with "/", CSV start times, log masking and stream ids."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.supervisor.campaign_seed import seed_campaign
from tests.supervisor.conftest import console_settings, csrf_of, login, write_recording
from voicebot.campaign import keys

SLASHED = "华东/二月"


def _app(tmp_path, redis_client):
    from voicebot.supervisor.app import create_app

    settings = console_settings(tmp_path)
    return create_app(settings, redis_client), settings


def test_a_campaign_name_with_a_slash_works(tmp_path, redis_client):
    app, _ = _app(tmp_path, redis_client)
    seed_campaign(redis_client)
    redis_client.sadd(keys.CAMPAIGNS, SLASHED)
    redis_client.hset(keys.CampaignKeys(SLASHED).meta, mapping={"status": "running", "created": "1772000000"})
    with TestClient(app) as sup:
        login(sup, "sue")
        path = f"/api/campaigns/{quote(SLASHED, safe='')}"
        r = sup.get(path)
        assert r.status_code == 200, r.text
        assert sup.get(path + "/controls").status_code == 200
        r = sup.post(path + "/status", json={"status": "paused"}, headers={"x-csrf-token": csrf_of(sup)})
        assert r.status_code == 200 and r.json() == {"campaign": SLASHED, "status": "paused"}
        assert sup.get("/api/campaigns/spring-promo/controls").status_code == 200
        r = sup.get(f"/api/campaigns/{quote('no/such', safe='')}")
        assert r.status_code == 404 and "no/such" in r.json()["detail"]


def test_csv_started_is_local_iso_time(tmp_path, redis_client):
    app, settings = _app(tmp_path, redis_client)
    started = 1_790_000_000.5
    day = datetime.fromtimestamp(started).date().isoformat()
    write_recording(settings.paths.recordings_dir, day, "c1", {"started": started, "outcome": {"duration_s": 12}}, [])
    with TestClient(app) as sup:
        login(sup, "sue")
        text = sup.get("/api/recordings.csv?encoding=utf-8").content.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["started"] == datetime.fromtimestamp(started).astimezone().isoformat(timespec="seconds")
    assert datetime.fromisoformat(row["started"]).utcoffset() is not None  # the offset says which local time


def test_log_masking_keeps_redis_stream_ids_and_still_masks_numbers(capsys):
    from voicebot.logs import get_logger, mask_phone_numbers

    ids = ["1791234567890-0", "1791234567890-12"]
    for entry_id in ids:
        out = mask_phone_numbers(None, "warning", {"event": "console_record_skipped", "where": entry_id,
                                                   "error": f"bad entry {entry_id} after 1791234567000-3"})
        assert out["where"] == entry_id and entry_id in out["error"]
    out = mask_phone_numbers(None, "info", {"event": "x", "remote": "sip:+8613912345678@pbx", "text": "138，1234，5678"})
    assert "13912345678" not in out["remote"] and "1234" not in out["text"]
    get_logger("voicebot.console.test").warning("console_record_skipped", where="1791234567890-0")
    captured = capsys.readouterr()  # stdout or stderr: whichever an earlier test configured the log for
    assert "1791234567890-0" in captured.out + captured.err


def test_zh_csv_export_reads_in_chinese_in_excel(tmp_path, redis_client):
    """A zh-CN manager opens the export in Excel (GBK): Chinese headings and words, codes untouched."""
    app, settings = _app(tmp_path, redis_client)
    started = 1_790_000_000.0
    day = datetime.fromtimestamp(started).date().isoformat()
    write_recording(settings.paths.recordings_dir, day, "c1", {
        "started": started, "customer": {"name": "王先生"},
        "outcome": {"duration_s": 42, "answered_by": "human", "hangup_reason": "callback_scheduled",
                    "transfer": {"ok": True}}}, [])
    with TestClient(app) as sup:
        login(sup, "sue")
        sup.cookies.set("vb_lang", "zh-CN")
        body = sup.get("/api/recordings.csv").content
        sup.cookies.set("vb_lang", "en-US")
        english = sup.get("/api/recordings.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body.decode("gb18030"))))
    assert rows[0][:4] == ["日期", "通话编号", "开始时间", "时长（秒）"] and "转人工成功" in rows[0]
    row = dict(zip(rows[0], rows[1]))
    assert (row["客户"], row["接听方"], row["转人工成功"]) == ("王先生", "真人", "是") and float(row["时长（秒）"]) == 42
    assert not any(h.isascii() for h in rows[0])  # no English heading left
    assert english.startswith("day,call_id") and ",human," in english and ",yes," in english
