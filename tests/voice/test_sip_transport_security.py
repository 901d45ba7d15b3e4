"""SIP over TLS with SRTP (SDES), and the refusal of plain RTP when SRTP is mandatory: one bot, real
phones (the callee simulator, pjsua2) configured through the same settings an operator uses."""

from __future__ import annotations

import json
import re
import socket
import ssl
import uuid

import pytest

from voicebot.callee.harness import BotProcess, callee_command, finish_callee, start_callee

from .conftest import call_result, next_ports

pytestmark = pytest.mark.slow

SHORT = {"name": "secure", "after_last_turn": "hangup",
         "turns": [{"say": "What are your opening hours?"}, {"say": "Thank you, goodbye."}]}


def tls_env(cert, tls_port: int, srtp: str) -> dict[str, str]:
    return {"VOICEBOT_SIP__TRANSPORTS": '["udp", "tls"]', "VOICEBOT_SIP__TLS_PORT": str(tls_port),
            "VOICEBOT_SIP__TLS_CERT_FILE": str(cert[0]), "VOICEBOT_SIP__TLS_KEY_FILE": str(cert[1]),
            "VOICEBOT_SIP__SRTP": srtp}


def phone(tmp_path, call: str, env: dict[str, str], name: str) -> dict:
    port, rtp = next_ports()
    persona = tmp_path / f"{name}.json"
    persona.write_text(json.dumps({**SHORT, "name": name}))
    report = tmp_path / f"{name}-report.json"
    proc = start_callee(callee_command(str(persona), port, rtp, report, call=call, timeout=90),
                        tmp_path / f"{name}.log", env={**env, "VOICEBOT_SIP__TLS_PORT": str(port + 1)})
    return finish_callee(proc, report, 150)


def test_tls_with_srtp_works_and_plain_rtp_is_refused(tmp_path, cert):
    port, rtp = next_ports()
    tls_port, _ = next_ports()
    env = tls_env(cert, tls_port, "mandatory")
    with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
        # 1. SIP over TLS, media SRTP (mandatory on both sides), IPv4.
        mark = bot.mark()
        report = phone(tmp_path, f"sip:bot@127.0.0.1:{tls_port};transport=tls", tls_env(cert, 0, "mandatory"), "tls")
        # Audio both ways over SRTP: the caller heard the bot, the bot recognised the caller.
        assert report["legs"] and report["legs"][0]["heard_bot_s"] > 1.0, report
        call_result(bot, mark)
        assert bot.events("user_turn", mark), "no speech crossed the SRTP call"
        # 2. Plain RTP to a bot that demands SRTP: refused (488), never answered without encryption.
        mark = bot.mark()
        report = phone(tmp_path, f"sip:bot@127.0.0.1:{port}", {"VOICEBOT_SIP__TRANSPORTS": '["udp"]'}, "plain")
        assert report["ended_by"] == "not answered" and report["end_code"] == 488, report
        assert not bot.events("media_ready", mark)


def read_sip(conn: ssl.SSLSocket, buf: bytearray) -> str:
    """One SIP message from a stream (headers, then Content-Length bytes of body)."""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("the bot closed the connection")
        buf += chunk
    head, _, _ = bytes(buf).partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
    total = len(head) + 4 + length
    while len(buf) < total:
        buf += conn.recv(4096)
    message = bytes(buf[:total]).decode()
    del buf[:total]
    return message


def dial_out_only_tls_phone(tls_port: int, wait_bye_s: float) -> list[str]:
    """A phone that dials over TLS but cannot accept connections: its Contact names port 1, where
    nothing listens. It sends no RTP, answers a BYE on its own connection, and returns the first line
    of each message it got. (sipp here is built without TLS.)"""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    conn = context.wrap_socket(socket.create_connection(("127.0.0.1", tls_port), timeout=10))
    local = conn.getsockname()[1]
    call_id, tag = f"{uuid.uuid4().hex}@phone", uuid.uuid4().hex[:8]
    sdp = ("v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    common = (f"From: <sip:phone@127.0.0.1>;tag={tag}\r\nCall-ID: {call_id}\r\n"
              f"Contact: <sip:phone@127.0.0.1:1;transport=tls>\r\nMax-Forwards: 70\r\n")
    target = f"sip:bot@127.0.0.1:{tls_port};transport=tls"
    conn.sendall((f"INVITE {target} SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:{local};branch=z9hG4bK{tag}1;rport\r\n"
                  f"{common}To: <{target}>\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
                  f"Content-Length: {len(sdp)}\r\n\r\n{sdp}").encode())
    got, buf = [], bytearray()
    while True:
        message = read_sip(conn, buf)
        got.append(message.split("\r\n", 1)[0])
        if message.startswith("SIP/2.0 2"):
            to = re.search(r"(?im)^to:\s*(.*)$", message).group(1).strip()
            break
        if re.match(r"SIP/2.0 [3-6]", message):
            return got
    conn.sendall((f"ACK {target} SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:{local};branch=z9hG4bK{tag}2;rport\r\n"
                  f"{common}To: {to}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode())
    conn.settimeout(wait_bye_s)
    try:
        while True:
            message = read_sip(conn, buf)
            got.append(message.split("\r\n", 1)[0])
            if message.startswith("BYE "):
                headers = [line for line in message.split("\r\n")
                           if line.lower().startswith(("via:", "from:", "to:", "call-id:", "cseq:"))]
                conn.sendall(("SIP/2.0 200 OK\r\n" + "\r\n".join(headers) + "\r\nContent-Length: 0\r\n\r\n").encode())
                return got
    except (TimeoutError, socket.timeout, ConnectionError):
        return got
    finally:
        conn.close()


@pytest.mark.parametrize("reuse", [True, False], ids=["reused", "not-reused"])
def test_a_tls_phone_that_cannot_accept_connections_gets_the_bots_bye(tmp_path, cert, reuse):
    """Direct TLS, no proxy. The caller's Contact names a port where nothing listens (a softphone
    without a certificate, or behind NAT). The bot hangs up (no RTP) and its BYE must come back over
    the connection the INVITE came on; without connection reuse it goes to the Contact and is lost."""
    port, rtp = next_ports()
    tls_port, _ = next_ports()
    env = {**tls_env(cert, tls_port, "off"), "VOICEBOT_SIP__RTP_TIMEOUT_S": "3",
           "VOICEBOT_SIP__REUSE_INBOUND_CONNECTION": "true" if reuse else "false"}
    with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
        mark = bot.mark()
        got = dial_out_only_tls_phone(tls_port, wait_bye_s=15)
        finished = call_result(bot, mark)[0]
    assert finished["outcome"]["hung_up_by"] == "rtp_timeout"  # the call was up, and the bot ended it
    assert got[0].startswith("SIP/2.0 ") and any(line.startswith("SIP/2.0 200") for line in got), got
    assert any(line.startswith("BYE ") for line in got) is reuse, got
