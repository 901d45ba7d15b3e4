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


def test_call_result_from_outcome_flags_tags_and_oddly_typed_fields():
    outcome = {"answered_by": "human", "intent": "C", "tags": ["stop_calling", "complaint", "converted"],
               "turns": None, "duration_s": "", "transfer": {"ok": True, "bridged": True, "reason": "agent"},
               "callbacks": [{"at": "2026-03-04T15:00:00+08:00"}, {"delay_s": "90"}], "ended_at": 1000.0,
               "pitch_delivered": "yes", "script_variant": None, "csat": "4", "emotions": ["calm", "", "angry"],
               "unanswered_questions": ["where", 7], "engine_failure": {"engine": "tts"}, "offers": [None],
               "offer": "coupon"}
    result = CallResult.from_outcome(outcome)
    assert result.intent_grade == "C" and (result.turns, result.duration_s) == (0, 0.0)
    assert result.do_not_call and result.complaint and result.converted
    assert result.transferred and result.bridged and result.transfer_reason == "agent"
    assert result.callback_at == 1090.0  # the last callback asked for wins
    assert result.pitch_delivered is None and result.variant == "" and result.csat == 4
    assert result.emotions == ["calm", "angry"] and result.unanswered_questions == ["where", "7"]
    assert result.engine_failure == "tts" and result.offer == "coupon" and result.error == ""
    plain = CallResult.from_outcome({"answered_by": "voicemail", "intent_grade": "E", "engine_failure": "asr",
                                     "transfer": {"ok": False, "bridged": True}, "csat": 9, "pitch_delivered": False})
    assert plain.intent_grade is None and plain.engine_failure == "asr" and not plain.bridged
    assert plain.csat is None and plain.pitch_delivered is False and plain.callback_at is None
    assert not (plain.do_not_call or plain.complaint or plain.converted or plain.transferred)
