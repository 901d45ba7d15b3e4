"""An 11-customer campaign dialled through the real voice loop against a bank of simulated phones.

One `voicebot campaign start` (4 channels over 2 bot processes) calls 11 numbers; a phone bank answers each
number with its persona (interested, price-sensitive, refuses, asks to stop calling, asks for a call back,
voicemail, busy, never answers). Checked in Redis afterwards: statuses, retries, callbacks, DNC, no double dials.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from collections import Counter

import yaml

from voicebot.campaign import keys

from .conftest import next_ports

PERSONAS = {
    "interested": {"turns": [
        {"say": "Yes, hello, this is Ada speaking."},
        {"say": "That sounds interesting. How much does it cost?"},
        {"say": "Great, I will take it. Please sign me up."},
        {"say": "Thank you, goodbye."}]},
    "price_sensitive": {"turns": [
        {"say": "Yes, speaking."},
        {"say": "How much is it? Do you have any discount?"},
        {"say": "Hmm, that sounds interesting, send me the details please."},
        {"say": "Thanks, goodbye."}]},
    "refuse": {"turns": [{"say": "No thanks, I am not interested."}, {"say": "No. Goodbye."}]},
    "stop_calling": {"turns": [{"say": "Please stop calling me and take my number off your list."}]},
    "callback": {"turns": [{"say": "I am busy right now, can you call me back tomorrow afternoon?"}]},
    "voicemail": {"wait_for_greeting": False, "after_last_turn": "wait_hangup", "turns": [
        {"say": "Hi, you have reached Ada. I can not take your call right now. "
                "Please leave a message after the tone, and I will call you back."}]},
    "busy": {"reject_with": 486},
    "no_answer": {"never_answer": True},
}
# Every persona, the talking ones twice, on 4 channels: the paths of a big campaign (retries, DNC,
# callbacks, voicemail, two bot processes sharing one queue) in a fraction of the time.
MIX = (["interested"] * 2 + ["price_sensitive"] * 2 + ["refuse"] * 2 + ["stop_calling", "callback", "voicemail",
                                                                         "busy", "no_answer"])
COUNT = Counter(MIX)


def _phone(i: int) -> str:
    return f"+86139{20000000 + i:08d}"


def test_eleven_customer_campaign_over_the_voice_loop(redis_server, redis_client, tmp_path):
    assert len(MIX) == 11
    bank_port, bank_rtp = next_ports()
    bot_port, bot_rtp = next_ports()  # two bot processes: SIP bot_port and bot_port + 1
    personas = {name: {"name": name, **spec} for name, spec in PERSONAS.items()}
    bank_file = tmp_path / "bank.yaml"
    bank_file.write_text(yaml.safe_dump({"personas": personas,
                                         "numbers": {_phone(i): p for i, p in enumerate(MIX)}}), encoding="utf-8")
    customers = tmp_path / "customers.csv"
    with customers.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["phone", "name", "persona"])
        w.writerows([_phone(i), f"Customer {i}", p] for i, p in enumerate(MIX))

    env_common = {"VOICEBOT_REDIS__URL": f"unix://{redis_server.socket_path}"}
    env = {**env_common,
           "VOICEBOT_SIP__PORT": str(bot_port), "VOICEBOT_SIP__RTP_PORT": str(bot_rtp),
           "VOICEBOT_CAMPAIGN__CALLS_PER_PROCESS": "2", "VOICEBOT_SIP__RTP_PORT_RANGE": "100", "VOICEBOT_SIP__RING_TIMEOUT_S": "6",
           "VOICEBOT_CAMPAIGN__DIAL_URI_TEMPLATE": f"sip:{{phone}}@127.0.0.1:{bank_port}",
           "VOICEBOT_CAMPAIGN__CALLING_HOURS_START": "00:00", "VOICEBOT_CAMPAIGN__CALLING_HOURS_END": "24:00",
           "VOICEBOT_CAMPAIGN__MAX_ATTEMPTS": "2", "VOICEBOT_CAMPAIGN__RETRY_BACKOFF_S": "[3]",
           "VOICEBOT_DIALOGUE__PLAN": "dialplans/outbound_marketing_en.yaml", "VOICEBOT_DIALOGUE__LOCALE": "en-US",
           "VOICEBOT_PATHS__RECORDINGS_DIR": str(tmp_path / "recordings")}
    import os

    def run(*args: str, extra: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "voicebot", *args], capture_output=True, text=True,
                              env={**os.environ, **env_common, **(extra or {})}, timeout=120)

    assert run("campaign", "create", "voice", "--locale", "en-US").returncode == 0
    imported = run("campaign", "import", "voice", str(customers))
    assert imported.returncode == 0, imported.stderr[-2000:]

    bank_log = open(tmp_path / "bank.log", "w")
    bank = subprocess.Popen([sys.executable, "-m", "voicebot", "callee", "--bank", str(bank_file),
                             "--port", str(bank_port), "--rtp-port", str(bank_rtp),
                             "--reports-dir", str(tmp_path / "bank-reports"), "--timeout", "120"],
                            stdout=subprocess.DEVNULL, stderr=bank_log,
                            env={**os.environ, "VOICEBOT_SIP__RTP_PORT_RANGE": "100"})
    worker_log = open(tmp_path / "worker.log", "w")
    worker = None
    try:
        deadline = time.time() + 120
        while '"sip_started"' not in (tmp_path / "bank.log").read_text(errors="replace"):
            assert bank.poll() is None and time.time() < deadline, (tmp_path / "bank.log").read_text()[-2000:]
            time.sleep(0.2)
        worker = subprocess.Popen([sys.executable, "-m", "voicebot", "campaign", "start", "voice", "--channels", "4"],
                                  stdout=subprocess.PIPE, stderr=worker_log, text=True, env={**os.environ, **env})
        ck = keys.CampaignKeys("voice")
        deadline = time.time() + 600

        def settled() -> bool:
            members = redis_client.smembers(ck.members)
            states = [redis_client.hgetall(ck.state(cid)) for cid in members]
            return len(states) == len(MIX) and all(s.get("final") == "1" or s.get("status") == "callback" for s in states)

        while not settled():
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.time() < deadline, "campaign did not settle in 10 minutes"
            time.sleep(1)
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, (tmp_path / "worker.log").read_text()[-3000:]
        summary = json.loads(out[out.index("{"):])
        assert summary["channels"] == 4 and summary["processes"] == 2
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        bank.send_signal(signal.SIGTERM)
        try:
            bank.wait(30)
        except subprocess.TimeoutExpired:
            bank.kill()

    ck = keys.CampaignKeys("voice")
    persona_of = {cid: redis_client.hget(keys.customer(cid), "persona") for cid in redis_client.smembers(ck.members)}
    status = {cid: redis_client.hgetall(ck.state(cid)) for cid in persona_of}
    by_persona: dict[str, Counter] = {}
    for cid, persona in persona_of.items():
        by_persona.setdefault(persona, Counter())[status[cid]["status"]] += 1
    print(json.dumps(by_persona, indent=1))

    assert set(by_persona["interested"]) <= {"converted", "interested"}, by_persona["interested"]
    assert set(by_persona["price_sensitive"]) <= {"interested", "converted"}, by_persona["price_sensitive"]
    assert by_persona["refuse"] == Counter({"not_interested": COUNT["refuse"]})
    assert by_persona["stop_calling"] == Counter({"do_not_call": COUNT["stop_calling"]})
    assert by_persona["callback"] == Counter({"callback": COUNT["callback"]})
    assert by_persona["voicemail"] == Counter({"voicemail": COUNT["voicemail"]})
    assert by_persona["busy"] == Counter({"unreachable": COUNT["busy"]})
    assert by_persona["no_answer"] == Counter({"unreachable": COUNT["no_answer"]})

    # Retries: two attempts for the unreachable ones, one for everyone who talked.
    results = [json.loads(f["json"]) for _, f in redis_client.xrange(ck.results)]
    calls = Counter(r["customer_id"] for r in results)
    for cid, persona in persona_of.items():
        expected = 2 if persona in ("busy", "no_answer", "voicemail") else 1
        assert calls[cid] == expected, (persona, calls[cid])
    answered = Counter((persona_of[r["customer_id"]], r["result"]["answered_by"]) for r in results)
    assert answered[("busy", "busy")] == 2 * COUNT["busy"] and answered[("no_answer", "no_answer")] == 2 * COUNT["no_answer"]
    assert answered[("voicemail", "voicemail")] == 2 * COUNT["voicemail"]
    dials = redis_client.lrange(ck.dials, 0, -1)
    assert len(dials) == len(set(dials)) == len(results)  # no attempt dialled twice
    # Opt-outs are on the do-not-call list; callbacks are queued for later, not now.
    dnc = redis_client.smembers(keys.DNC)
    assert {redis_client.hget(keys.customer(c), "phone") for c, p in persona_of.items() if p == "stop_calling"} <= dnc
    for cid, persona in persona_of.items():
        if persona == "callback":
            assert float(status[cid]["next_at"]) > time.time() + 1800
    # Bank side: each talking customer heard the bot and the bot ended the conversation or they did.
    reports = [json.loads(p.read_text()) for p in (tmp_path / "bank-reports").glob("*.json")]
    assert len(reports) == len(results)
    talked = [r for r in reports if r["persona"] in ("interested", "price_sensitive", "refuse")]
    assert all(r["legs"] and r["legs"][0]["heard_bot_s"] > 1.0 for r in talked)
