"""Search is not an oracle: a viewer cannot learn a hidden number digit by digit."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.supervisor.conftest import console_settings, login, write_recording

DAY = time.strftime("%Y-%m-%d")
NUMBER = "+8613700001107"


def test_viewer_cannot_read_a_number_by_searching_prefixes(tmp_path, redis_client):
    from voicebot.supervisor.app import create_app

    settings = console_settings(tmp_path)
    root = settings.paths.recordings_dir
    write_recording(root, DAY, "c-hidden", {"started": time.time(), "remote": f"sip:{NUMBER}@pbx",
                                            "customer": {"name": f"王女士 {NUMBER}", "phone": NUMBER,
                                                         "segment": "vip"}}, [])
    write_recording(root, DAY, "c-other", {"started": time.time(), "remote": "sip:+8613900000000@pbx",
                                           "customer": {"name": "李先生"}}, [])
    app = create_app(settings, redis_client)
    with TestClient(app) as sup, TestClient(app) as viewer:
        login(sup, "sue")
        login(viewer, "vic")
        # The repro: one request per candidate digit. The viewer is refused every time, naming why.
        answers = []
        for d in range(10):
            r = viewer.get("/api/recordings", params={"customer": f"+86137000011{d}"})
            answers.append((r.status_code, r.text))
        assert len(set(answers)) == 1 and answers[0][0] == 403
        assert "supervisors" in answers[0][1] and "masked number" in answers[0][1]
        assert viewer.get("/api/recordings.csv", params={"customer": "+861370000110"}).status_code == 403
        # Short digit runs never match a hidden digit either: the viewer's haystack is what they are shown.
        for prefix in ("1370", "0110", "000011"):
            found = viewer.get("/api/recordings", params={"customer": prefix})
            assert found.status_code in (200, 403)
            if found.status_code == 200:
                assert found.json()["recordings"] == [], prefix
        # What a viewer can search by: the name, the masked number as shown to them, the call id.
        shown = viewer.get("/api/recordings", params={"customer": "王女士"}).json()["recordings"]
        assert [e["call_id"] for e in shown] == ["c-hidden"] and NUMBER not in str(shown)
        masked = shown[0]["customer"]["name"].split()[-1]
        assert "*" in masked
        assert [e["call_id"] for e in viewer.get("/api/recordings", params={"customer": masked})
                .json()["recordings"]] == ["c-hidden"]
        assert [e["call_id"] for e in viewer.get("/api/recordings", params={"customer": "c-hidden"})
                .json()["recordings"]] == ["c-hidden"]
        # Supervisors search by number.
        for d in range(10):
            hits = sup.get("/api/recordings", params={"customer": f"+86137000011{d}"}).json()["recordings"]
            assert [e["call_id"] for e in hits] == (["c-hidden"] if d == 0 else [])
