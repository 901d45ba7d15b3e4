"""No silent refusals: a message pjsip must drop is logged with its reason, every error response the
bot sends to an INVITE is logged (also those pjsua sends on its own), and `serve --sip-trace` logs
the messages with digest credentials masked. Hand-built requests on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from voicebot.callee.harness import BotProcess

from .conftest import next_ports
from .rawsip import SDP, RawSipClient

pytestmark = pytest.mark.slow

_AUTH = 'Authorization: Digest username="tester", realm="r", nonce="n1", uri="sip:bot", response="0123456789abcdef"\r\n'


@pytest.fixture(scope="module")
def srtp_bot(tmp_path_factory):
    port, rtp = next_ports()
    env = {"VOICEBOT_SIP__TRANSPORTS": '["udp", "tcp"]', "VOICEBOT_SIP__SRTP": "mandatory"}
    with BotProcess(port, rtp, tmp_path_factory.mktemp("bot"), env=env, args=["--sip-trace"]) as proc:
        yield proc


def test_oversized_invite_over_tcp_is_logged_with_its_reason(srtp_bot):
    mark = srtp_bot.mark()
    client = RawSipClient("tcp", ("127.0.0.1", srtp_bot.port))
    pad = "".join(f"X-Pad-{i}: {'a' * 90}\r\n" for i in range(55))  # 5.7 KB, as the PBX sent
    try:
        client.request("INVITE", f"sip:bot@127.0.0.1:{srtp_bot.port}", body=SDP.format(rtp=30000), extra=pad)
        client.final_response(3)  # pjsip cannot answer it: its receive buffer is compiled in
    finally:
        client.close()
    dropped = srtp_bot.wait_events("sip_message_dropped", 1, mark, timeout=10)
    assert dropped and "ERXOVERFLOW" in dropped[0]["reason"], srtp_bot.lines[mark:][-5:]
    assert "4000 bytes" in dropped[0]["hint"] and dropped[0]["level"] == "warning"


def test_srtp_mismatch_488_is_logged_and_the_trace_masks_credentials(srtp_bot):
    mark = srtp_bot.mark()
    client = RawSipClient("udp", ("127.0.0.1", srtp_bot.port))
    try:
        client.request("INVITE", f"sip:bot@127.0.0.1:{srtp_bot.port}", body=SDP.format(rtp=30000), extra=_AUTH)
        answer = client.final_response(10)
    finally:
        client.close()
    assert answer is not None and answer.code == 488, answer
    sent = srtp_bot.wait_events("sip_refusal_sent", 1, mark, timeout=10)
    assert sent and sent[0]["code"] == 488 and sent[0]["call_id"] == client.call_id, sent
    assert "SRTP" in sent[0]["hint"] and sent[0]["pjsip_reason"], sent
    traced = [e for e in srtp_bot.events("sip_message", mark) if client.call_id in e["text"]]
    assert {(e["direction"], e["kind"]) for e in traced} >= {("rx", "request"), ("tx", "response")}, traced
    invite = next(e for e in traced if e["direction"] == "rx")
    assert 'response="***"' in invite["text"] and 'username="tester"' in invite["text"]
    log = "".join(srtp_bot.lines)
    assert "0123456789abcdef" not in log and "0123456789abcdef" not in srtp_bot.log_path.read_text()
    json.loads(srtp_bot.lines[-1])  # still one JSON record per line


def test_the_bots_own_refusals_are_logged_too(srtp_bot):
    """A sendonly offer: the bot's own 488 (call_rejected) and the response on the wire (sip_refusal_sent)."""
    mark = srtp_bot.mark()
    client = RawSipClient("udp", ("127.0.0.1", srtp_bot.port))
    sdp = SDP.format(rtp=30002).replace("RTP/AVP 0", "RTP/SAVP 0").replace("a=sendrecv", "a=sendonly")
    sdp += "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
    try:
        client.request("INVITE", f"sip:bot@127.0.0.1:{srtp_bot.port}", body=sdp)
        answer = client.final_response(10)
    finally:
        client.close()
    assert answer is not None and answer.code == 488, answer
    assert srtp_bot.wait_events("call_rejected", 1, mark, timeout=10)[0]["code"] == 488
    sent = srtp_bot.wait_events("sip_refusal_sent", 1, mark, timeout=10)
    assert sent and "sendrecv" in sent[0]["warning"], sent
