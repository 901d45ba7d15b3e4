"""A Chinese campaign over the real voice loop ends with statuses that follow each call's outcome.

One `voicebot campaign start` (3 channels in one bot process, the zh-CN plan) calls five numbers of a
GBK CRM export with Chinese headers; a phone bank answers in Mandarin (espeak-ng, the phrasings the
zh dialplan tests use): a buyer, a refuser, someone who asks to be called tomorrow, busy, and never
answering. The buyer ends converted (never callback), the refuser not_interested, the busy one
callback, the unreachable ones unreachable.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import yaml

from voicebot.campaign import keys

from .conftest import next_ports

ZH = {"locale": "zh-CN", "voice": "espeak:cmn-latn-pinyin", "voice_options": {"rate": 110}}
PERSONAS = {
    "buyer": {**ZH, "turns": ["对，没错，是我", "可以可以", "我想买一个", "对，可以", "对，没错", "对，可以",
                              {"say": "好的，谢谢，再见", "voice_options": {"rate": 140}}]},
    # No comma inside a refusal: the pause at one is about the 400 ms end-of-turn silence, and a
    # lone "谢谢" after "不需要" is a turn of its own then.
    "refuse": {**ZH, "turns": ["对，没错，是我", "我不需要不感兴趣", "不用了谢谢"]},
    "callback": {**ZH, "turns": ["对，没错，是我", "我现在没时间明天再打给我"]},
    "busy": {"reject_with": 486},
    "no_answer": {"never_answer": True},
}
MIX = ["buyer", "refuse", "callback", "busy", "no_answer"]
EXPECTED = {"buyer": "converted", "refuse": "not_interested", "callback": "callback", "busy": "unreachable",
            "no_answer": "unreachable"}


def _phone(i: int) -> str:
    return f"+86139{30000000 + i:08d}"


@pytest.mark.slow
def test_chinese_campaign_statuses_follow_outcomes(redis_server, redis_client, tmp_path):
    bank_port, bank_rtp = next_ports()
    bot_port, bot_rtp = next_ports()
    personas = {name: {"name": name, **spec} for name, spec in PERSONAS.items()}
    bank_file = tmp_path / "bank.yaml"
    bank_file.write_text(yaml.safe_dump({"personas": personas, "numbers": {_phone(i): p for i, p in enumerate(MIX)}},
                                        allow_unicode=True), encoding="utf-8")
    customers = tmp_path / "客户名单.csv"
    with customers.open("w", newline="", encoding="gbk") as fh:  # as a Chinese CRM exports it
        w = csv.writer(fh)
        w.writerow(["客户名单（导出）"])
        # Price-sensitive profiles: the promo_discount script the zh sale-path test speaks to.
        w.writerow(["客户编号", "姓名", "手机号码", "折扣订单占比", "累计消费", "购买次数", "最近购买", "persona"])
        w.writerows([f"K{i:03d}", f"客户{i}", _phone(i), "80%", "￥800", "3次", "2026年2月1日", p]
                    for i, p in enumerate(MIX))

    common = {"VOICEBOT_REDIS__URL": f"unix://{redis_server.socket_path}"}
    env = {**common, "VOICEBOT_SIP__PORT": str(bot_port), "VOICEBOT_SIP__RTP_PORT": str(bot_rtp),
           "VOICEBOT_CAMPAIGN__CALLS_PER_PROCESS": "3", "VOICEBOT_SIP__RTP_PORT_RANGE": "100",
           "VOICEBOT_SIP__RING_TIMEOUT_S": "6", "VOICEBOT_CAMPAIGN__DIAL_URI_TEMPLATE": f"sip:{{phone}}@127.0.0.1:{bank_port}",
           "VOICEBOT_CAMPAIGN__CALLING_HOURS_START": "00:00", "VOICEBOT_CAMPAIGN__CALLING_HOURS_END": "24:00",
           "VOICEBOT_CAMPAIGN__MAX_ATTEMPTS": "2", "VOICEBOT_CAMPAIGN__RETRY_BACKOFF_S": "[3]",
           "VOICEBOT_DIALOGUE__PLAN": "dialplans/outbound_marketing_zh.yaml", "VOICEBOT_DIALOGUE__LOCALE": "zh-CN",
           "VOICEBOT_PATHS__RECORDINGS_DIR": str(tmp_path / "recordings")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "voicebot", *args], capture_output=True, text=True,
                              env={**os.environ, **common}, timeout=120)

    assert run("campaign", "create", "zhvoice", "--locale", "zh-CN").returncode == 0
    imported = run("campaign", "import", "zhvoice", str(customers))
    assert imported.returncode == 0 and '"rows_ok": 5' in imported.stdout, imported.stdout + imported.stderr[-2000:]

    bank_log = open(tmp_path / "bank.log", "w")
    bank = subprocess.Popen([sys.executable, "-m", "voicebot", "callee", "--bank", str(bank_file),
                             "--port", str(bank_port), "--rtp-port", str(bank_rtp),
                             "--reports-dir", str(tmp_path / "bank-reports"), "--timeout", "120"],
                            stdout=subprocess.DEVNULL, stderr=bank_log,
                            env={**os.environ, "VOICEBOT_SIP__RTP_PORT_RANGE": "100"})
    worker_log = open(tmp_path / "worker.log", "w")
    worker = None
    ck = keys.CampaignKeys("zhvoice")
    try:
        deadline = time.time() + 120
        while '"sip_started"' not in (tmp_path / "bank.log").read_text(errors="replace"):
            assert bank.poll() is None and time.time() < deadline, (tmp_path / "bank.log").read_text()[-2000:]
            time.sleep(0.2)
        worker = subprocess.Popen([sys.executable, "-m", "voicebot", "campaign", "start", "zhvoice", "--channels", "3"],
                                  stdout=subprocess.PIPE, stderr=worker_log, text=True, env={**os.environ, **env})
        deadline = time.time() + 600

        def settled() -> bool:
            states = [redis_client.hgetall(ck.state(cid)) for cid in redis_client.smembers(ck.members)]
            return len(states) == len(MIX) and all(s.get("final") == "1" or s.get("status") == "callback"
                                                   for s in states)

        while not settled():
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.time() < deadline, "campaign did not settle in 10 minutes"
            time.sleep(1)
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=120)
        assert worker.returncode == 0, (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        bank.send_signal(signal.SIGTERM)
        try:
            bank.wait(30)
        except subprocess.TimeoutExpired:
            bank.kill()

    persona_of = {cid: redis_client.hget(keys.customer(cid), "persona") for cid in redis_client.smembers(ck.members)}
    status = {cid: redis_client.hget(ck.state(cid), "status") for cid in persona_of}
    results = [json.loads(f["json"]) for _, f in redis_client.xrange(ck.results)]
    last = {r["customer_id"]: r["result"] for r in results}
    detail = {persona_of[c]: (status[c], last.get(c, {}).get("intent_grade"), last.get(c, {}).get("tags")) for c in status}
    for cid, persona in persona_of.items():
        assert status[cid] == EXPECTED[persona], detail
    # Every status agrees with what the call recorded.
    for cid, res in last.items():
        if res["converted"]:
            assert status[cid] == "converted"
        if res["answered_by"] == "human" and res["intent_grade"] == "D":
            assert status[cid] in ("not_interested", "do_not_call")
    assert Counter(r["customer_id"] for r in results) == Counter(
        {cid: 2 if persona_of[cid] in ("busy", "no_answer") else 1 for cid in persona_of})
