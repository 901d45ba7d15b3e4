"""A small campaign's results, written the way the campaign worker writes them."""

from __future__ import annotations

import json

from voicebot.campaign import keys

CAMPAIGN = "spring-promo"


def _result(answered_by: str, grade: str | None = None, **flags) -> dict:
    return {"answered_by": answered_by, "intent_grade": grade, "turns": 4 if answered_by == "human" else 0,
            "duration_s": 60.0 if answered_by == "human" else 5.0, "transferred": False, "transfer_reason": "",
            "converted": False, "complaint": False, "do_not_call": False, **flags}


def seed_campaign(client, start: float = 1_772_000_000.0) -> list[dict]:
    rows = [
        ("new_lead", "v1", _result("human", "A", converted=True)),
        ("new_lead", "v2", _result("human", "C")),
        ("new_lead", "v1", _result("no_answer")),
        ("loyal", "v1", _result("human", "B", transferred=True, transfer_reason="asked for agent")),
        ("loyal", "v1", _result("voicemail")),
        ("loyal", "v2", _result("human", "D", complaint=True)),
    ]
    ck = keys.CampaignKeys(CAMPAIGN)
    client.sadd(keys.CAMPAIGNS, CAMPAIGN)
    client.hset(ck.meta, mapping={"status": "running", "created": str(start)})
    records = []
    for i, (segment, variant, result) in enumerate(rows):
        t = start + i * 1200  # one call every 20 minutes: two hours of calls
        record = {"job_id": f"j{i}", "customer_id": f"c{i}", "attempt": 1, "kind": "first", "segment": segment,
                  "variant": variant, "offer": "", "started": t, "ended": t + result["duration_s"], "worker": "w1",
                  "next": "done", "status": "done", "result": result}
        client.xadd(ck.results, {"json": json.dumps(record)})
        records.append(record)
    return records
