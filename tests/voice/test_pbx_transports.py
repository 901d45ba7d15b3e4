"""Registered over TCP at Kamailio: what the bot advertises and how it notices a lost connection.
Real Kamailio (UDP + TCP on one port) and hand-built requests, all on 127.0.0.1."""

from __future__ import annotations

import pytest

from voicebot.callee.harness import BotProcess

from .conftest import next_ports
from .interop import Kamailio
from .rawsip import answered_invite, contact_hostport

pytestmark = pytest.mark.slow


def _tcp_env(kam: Kamailio, **extra: str) -> dict[str, str]:
    return {"VOICEBOT_SIP__REGISTRAR": f"sip:{kam.domain};transport=tcp", "VOICEBOT_SIP__USERNAME": "voicebot",
            "VOICEBOT_SIP__PASSWORD": "s3cret", "VOICEBOT_SIP__TRANSPORTS": '["udp", "tcp"]',
            "VOICEBOT_SIP__REGISTER_RETRY_MIN_S": "1", "VOICEBOT_SIP__KEEPALIVE_INTERVAL_S": "2", **extra}


def _invite_contact(bot_port: int, transport: str) -> tuple[str, int, str]:
    """The Contact of the bot's 200 OK to a direct INVITE over ``transport``."""
    answer = answered_invite(bot_port, transport)
    return contact_hostport(answer.headers.get("contact") or answer.headers["m"])


def test_registered_over_tcp_each_transport_gets_its_listening_contact(tmp_path):
    """Registered over TCP, a call over UDP must get a UDP Contact on the listening port (it got the TCP
    registration connection's ephemeral port: the caller's ACK went nowhere and the call died at 32 s),
    and a call over TCP the TCP listening port; public_address goes into both."""
    kam_port, _ = next_ports()
    kam = Kamailio(tmp_path, kam_port, {"voicebot": "s3cret"}).start()
    port, rtp = next_ports()
    try:
        env = _tcp_env(kam, VOICEBOT_SIP__PUBLIC_ADDRESS="127.0.0.1")
        with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
            assert bot.wait_events("registered", 1, timeout=20), bot.lines[-10:]
            udp = _invite_contact(port, "udp")
            tcp = _invite_contact(port, "tcp")
    finally:
        kam.stop()
    assert udp == ("127.0.0.1", port, "udp"), udp
    assert tcp == ("127.0.0.1", port, "tcp"), tcp


def _ready(port: int) -> int:
    import urllib.error
    import urllib.request

    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_registered_over_tcp_a_registrar_restart_is_noticed_and_healed(tmp_path):
    """Kamailio goes away while the bot is registered over TCP: the closed connection is noticed at once,
    /readyz turns 503 while the registrar is down, and the bot registers again within seconds of its
    return (it used to say "registered" for up to register_expires_s while callers got 404)."""
    import time

    kam_port, _ = next_ports()
    kam = Kamailio(tmp_path, kam_port, {"voicebot": "s3cret"}).start()
    port, rtp = next_ports()
    health = port + 1
    try:
        env = _tcp_env(kam, VOICEBOT_OPS__HEALTH_PORT=str(health), VOICEBOT_SIP__REGISTER_EXPIRES_S="300")
        with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
            assert bot.wait_events("registered", 1, timeout=20), bot.lines[-10:]
            assert _ready(health) == 200
            mark = bot.mark()
            kam.stop()
            closed = bot.wait_events("registration_connection_closed", 1, mark, timeout=10)
            failed = bot.wait_events("registration_failed", 1, mark, timeout=10)
            down_status = _ready(health)
            time.sleep(2)
            back = time.monotonic()
            kam.start()
            registered = bot.wait_events("registered", 1, mark, timeout=20)
            healed_s = time.monotonic() - back
            up_status = _ready(health)
    finally:
        kam.stop()
    assert closed and closed[0]["transport"] == "tcp", closed
    assert failed, "the REGISTER after the connection closed did not fail while the registrar was down"
    assert down_status == 503
    assert registered and registered[0]["recovered"] is True, registered
    assert healed_s < 10, healed_s
    assert up_status == 200


def test_failover_from_a_silent_primary_is_quick_and_the_bot_returns_when_it_is_back(tmp_path):
    """The primary swallows REGISTERs (no answer, no ICMP): the bot moves to Kamailio after
    sip.register_timeout_s instead of pjsip's 32 s per try (102 s in the field), then, once a registrar
    answers at the primary's address, registers there again."""
    import socket
    import time

    primary_port, _ = next_ports()
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", primary_port))
    kam_port, _ = next_ports()
    kam = Kamailio(tmp_path / "second", kam_port, {"voicebot": "s3cret"})
    (tmp_path / "second").mkdir()
    kam.start()
    primary = Kamailio(tmp_path / "primary", primary_port, {"voicebot": "s3cret"})
    (tmp_path / "primary").mkdir()
    port, rtp = next_ports()
    try:
        env = {"VOICEBOT_SIP__REGISTRAR": f"sip:127.0.0.1:{primary_port}",
               "VOICEBOT_SIP__REGISTRAR_FAILOVER": f'["sip:{kam.domain}"]', "VOICEBOT_SIP__USERNAME": "voicebot",
               "VOICEBOT_SIP__PASSWORD": "s3cret", "VOICEBOT_SIP__TRANSPORTS": '["udp"]',
               "VOICEBOT_SIP__REGISTER_TIMEOUT_S": "3", "VOICEBOT_SIP__REGISTRAR_FAILBACK_S": "2",
               "VOICEBOT_SIP__REGISTER_RETRY_MIN_S": "1"}
        started = time.monotonic()
        with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
            moved = bot.wait_events("registrar_failover", 1, timeout=30)
            registered = bot.wait_events("registered", 1, timeout=30)
            failover_s = time.monotonic() - started
            mark = bot.mark()
            silent.close()
            primary.start()
            back = bot.wait_events("registrar_failback", 1, mark, timeout=30)
            again = bot.wait_events("registered", 1, mark, timeout=30)
    finally:
        silent.close()
        primary.stop()
        kam.stop()
    assert moved and moved[0]["code"] == 408 and moved[0]["registrar"] == f"sip:{kam.domain}", moved
    assert registered and registered[0]["registrar"] == f"sip:{kam.domain}", registered
    assert failover_s < 20, failover_s  # start-up included
    assert back and back[0]["registrar"] == f"sip:127.0.0.1:{primary_port}", back
    assert again and again[0]["registrar"] == f"sip:127.0.0.1:{primary_port}", again


def test_failover_over_tcp_from_a_silent_primary_and_back(tmp_path):
    """The same over TCP: the primary accepts connections but never answers (a hung PBX). The bot moves
    on after sip.register_timeout_s, and its OPTIONS over TCP to the primary brings it back once a
    registrar answers there (it used to check only that the port accepted a connection)."""
    import socket
    import time

    primary_port, _ = next_ports()
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind(("127.0.0.1", primary_port))
    silent.listen(16)  # connections complete in the backlog; nothing is ever read or answered
    kam_port, _ = next_ports()
    (tmp_path / "second").mkdir()
    (tmp_path / "primary").mkdir()
    kam = Kamailio(tmp_path / "second", kam_port, {"voicebot": "s3cret"}).start()
    primary = Kamailio(tmp_path / "primary", primary_port, {"voicebot": "s3cret"})
    port, rtp = next_ports()
    first = f"sip:127.0.0.1:{primary_port};transport=tcp"
    second = f"sip:{kam.domain};transport=tcp"
    try:
        env = {"VOICEBOT_SIP__REGISTRAR": first, "VOICEBOT_SIP__REGISTRAR_FAILOVER": f'["{second}"]',
               "VOICEBOT_SIP__USERNAME": "voicebot", "VOICEBOT_SIP__PASSWORD": "s3cret",
               "VOICEBOT_SIP__DOMAIN": "127.0.0.1", "VOICEBOT_SIP__TRANSPORTS": '["udp", "tcp"]',
               "VOICEBOT_SIP__REGISTER_TIMEOUT_S": "3", "VOICEBOT_SIP__REGISTRAR_FAILBACK_S": "2",
               "VOICEBOT_SIP__REGISTER_RETRY_MIN_S": "1"}
        started = time.monotonic()
        with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
            moved = bot.wait_events("registrar_failover", 1, timeout=30)
            registered = bot.wait_events("registered", 1, timeout=30)
            failover_s = time.monotonic() - started
            time.sleep(5)  # probes of the silent primary meanwhile: no failback to a hung PBX
            early = bot.events("registrar_failback")
            mark = bot.mark()
            silent.close()
            primary.start()
            back = bot.wait_events("registrar_failback", 1, mark, timeout=30)
            # Closing the hung primary's connections costs one early refresh at the second registrar
            # (flow.py: pjsua does not say which peer a closed connection led to); then the primary.
            deadline = time.monotonic() + 30
            while not [e for e in bot.events("registered", mark) if e["registrar"] == first]:
                assert time.monotonic() < deadline, bot.events("registered", mark)
                time.sleep(0.2)
    finally:
        silent.close()
        primary.stop()
        kam.stop()
    assert moved and moved[0]["code"] == 408 and moved[0]["registrar"] == second, moved
    assert registered and registered[0]["registrar"] == second, registered
    assert failover_s < 20, failover_s  # start-up included
    assert early == [], early
    assert back and back[0]["registrar"] == first, back


def test_registered_over_tcp_a_binding_lost_with_the_connection_up_is_noticed(tmp_path):
    """The registrar forgets the bot's binding while the TCP connection stays up (kamcmd ul.rm, as an
    admin or a failed-over usrloc does): the OPTIONS keepalive over TCP gets 404 and the bot registers
    again within a few keepalive intervals; before, callers got 404 until the next refresh."""
    kam_port, _ = next_ports()
    kam = Kamailio(tmp_path, kam_port, {"voicebot": "s3cret"}).start()
    port, rtp = next_ports()
    try:
        env = _tcp_env(kam, VOICEBOT_SIP__REGISTER_EXPIRES_S="300")
        with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
            assert bot.wait_events("registered", 1, timeout=20), bot.lines[-10:]
            assert "voicebot" in kam.bindings("voicebot")
            mark = bot.mark()
            kam.forget("voicebot")
            lost = bot.wait_events("registration_lost", 1, mark, timeout=15)
            again = bot.wait_events("registered", 1, mark, timeout=15)
            bound = kam.bindings("voicebot")
            closed = bot.events("registration_connection_closed", mark)
    finally:
        kam.stop()
    assert lost and lost[0]["code"] == 404, lost
    assert again, "the bot did not register again after its binding was removed"
    assert f"127.0.0.1:{port};transport=tcp" in bound.lower() or f"127.0.0.1:{port};transport=TCP" in bound, bound
    assert not closed, "the connection never closed: the keepalive over TCP noticed, not the flow watch"


def test_registered_over_tls_at_kamailio_a_lost_binding_and_a_restart_are_both_healed(tmp_path, cert):
    """Registered over TLS at Kamailio's TLS module: the Contact names the bot's TLS listening port,
    a binding removed with the connection up is noticed by the keepalive over TLS, and a registrar
    restart (every connection closed) is noticed at once and healed once Kamailio is back."""
    import time

    kam_port, _ = next_ports()
    kam_tls = kam_port + 1  # next_ports() leaves every other port free
    kam = Kamailio(tmp_path, kam_port, {"voicebot": "s3cret"}, tls=(kam_tls, *cert)).start()
    port, rtp = next_ports()
    tls_port = port + 1
    env = {"VOICEBOT_SIP__REGISTRAR": f"sip:127.0.0.1:{kam_tls};transport=tls",
           "VOICEBOT_SIP__DOMAIN": kam.domain, "VOICEBOT_SIP__USERNAME": "voicebot",
           "VOICEBOT_SIP__PASSWORD": "s3cret", "VOICEBOT_SIP__TRANSPORTS": '["udp", "tls"]',
           "VOICEBOT_SIP__TLS_PORT": str(tls_port), "VOICEBOT_SIP__TLS_CERT_FILE": str(cert[0]),
           "VOICEBOT_SIP__TLS_KEY_FILE": str(cert[1]), "VOICEBOT_SIP__REGISTER_RETRY_MIN_S": "1",
           "VOICEBOT_SIP__KEEPALIVE_INTERVAL_S": "2", "VOICEBOT_SIP__REGISTER_EXPIRES_S": "300"}
    try:
        with BotProcess(port, rtp, tmp_path / "bot", env=env) as bot:
            assert bot.wait_events("registered", 1, timeout=30), bot.lines[-20:]
            bound = kam.bindings("voicebot")
            mark = bot.mark()
            kam.forget("voicebot")
            lost = bot.wait_events("registration_lost", 1, mark, timeout=15)
            again = bot.wait_events("registered", 1, mark, timeout=15)
            mark = bot.mark()
            kam.stop()
            closed = bot.wait_events("registration_connection_closed", 1, mark, timeout=10)
            time.sleep(2)
            kam.start()
            healed = bot.wait_events("registered", 1, mark, timeout=30)
    finally:
        kam.stop()
    assert f"127.0.0.1:{tls_port};transport=tls" in bound.lower(), bound
    assert lost and lost[0]["code"] == 404, lost
    assert again, "no REGISTER over TLS after the binding was removed"
    assert closed and closed[0]["transport"] == "tls", closed
    assert healed and healed[0]["recovered"] is True, healed


def test_registered_over_tcp_a_direct_outbound_call_over_udp_carries_a_udp_contact(tmp_path):
    """`voicebot call` to a UDP phone that is not behind the registrar, while registered over TCP: the
    INVITE's Contact names the UDP listening port (it named the TCP one, so the phone's ACK and BYE
    went to a transport it may not speak)."""
    import os
    import socket
    import subprocess
    import sys

    kam_port, _ = next_ports()
    kam = Kamailio(tmp_path, kam_port, {"voicebot": "s3cret"}).start()
    port, rtp = next_ports()
    phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone.bind(("127.0.0.1", 0))
    phone.settimeout(60)
    phone_port = phone.getsockname()[1]
    env = {**os.environ, **_tcp_env(kam), "VOICEBOT_SIP__BIND_HOST": "127.0.0.1",
           "VOICEBOT_RECORDING__ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "voicebot", "call", f"sip:phone@127.0.0.1:{phone_port}",
                             "--port", str(port), "--rtp-port", str(rtp), "--timeout", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        data, peer = phone.recvfrom(65535)
        invite = data.decode("utf-8", "replace")
        head = invite.split("\r\n\r\n", 1)[0].split("\r\n")
        keep = [h for h in head[1:] if h.split(":", 1)[0].strip().lower() in ("via", "from", "call-id", "cseq", "to")]
        busy = ["SIP/2.0 486 Busy Here", *[h + (";tag=busy1" if h.lower().startswith("to:") else "") for h in keep],
                "Content-Length: 0", "", ""]
        phone.sendto("\r\n".join(busy).encode(), peer)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        phone.close()
        kam.stop()
    contact = next(h.split(":", 1)[1] for h in head if h.split(":", 1)[0].strip().lower() in ("contact", "m"))
    assert invite.startswith("INVITE sip:phone@"), invite[:200]
    assert contact_hostport(contact) == ("127.0.0.1", port, "udp"), (contact, stderr[-2000:])
