"""The Dialer contract: a call session's outcome dict maps onto CallResult; jobs round-trip as JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from voicebot.campaign.dialer import CallJob, CallResult


def test_session_outcome_maps_to_call_result():
    outcome = {"tags": ["price_question", "stop_calling"], "callbacks": [{"at": "2026-03-04T07:00:00+00:00",
                                                                           "delay_s": None, "note": ""}],
               "offers": [], "answered_by": "human", "hung_up_by": "remote", "duration_s": 42.5, "turns": 6,
               "intent_grade": "B", "transfer": {"ok": True, "detail": "200"}, "transfer_reason": "asked for a person"}
    result = CallResult.from_outcome(outcome, call_id="abc")
    assert (result.answered_by, result.intent_grade, result.turns, result.duration_s) == ("human", "B", 6, 42.5)
    assert result.transferred and result.transfer_reason == "asked for a person" and result.do_not_call
    assert result.callback_at == datetime(2026, 3, 4, 7, tzinfo=UTC).timestamp()
    assert result.success and result.hung_up_by == "remote" and result.call_id == "abc"
    failed = CallResult.from_outcome({"answered_by": "busy"})
    assert failed.answered_by == "busy" and failed.intent_grade is None and not failed.success
    assert CallResult.from_outcome({"answered_by": "weird"}).answered_by == "failed"
    assert CallResult.from_dict(result.to_dict()) == result


def test_job_round_trip_and_call_info():
    job = CallJob("spring", "c1:2", "c1", "+8613812345678", 2, kind="retry", segment="price_sensitive",
                  dialplan="promo_discount", script_variant="discount-tiered", offer="tiered_discount",
                  customer={"name": "张三"})
    assert CallJob.from_json(job.to_json()) == job
    info = job.call_info("call-9", "sip:+8613812345678@pbx")
    assert info.direction == "outbound" and info.locale == "zh-CN"
    assert info.customer["offer"] == "tiered_discount" and info.customer["name"] == "张三"
