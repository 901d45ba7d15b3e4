"""An offline call-center server makes no outbound name lookups: a full call (greeting, speech both
ways, recognition, synthesis, hang-up) and the seconds after it send no DNS query. The bot runs in a
private mount namespace whose /etc/resolv.conf names a loopback address this test listens on, so any
lookup through the C library (from Python or from a native library such as onnxruntime) arrives here."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from voicebot.callee.harness import BotProcess

from .conftest import Phone, call_result, next_ports

pytestmark = pytest.mark.slow

RESOLVER = "127.0.0.79"  # a loopback address of its own: port 53 there is ours


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture
def dns_listener():
    if not _namespaces_work():
        pytest.skip("needs unshare -m (root or user namespaces) to give the bot its own /etc/resolv.conf")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((RESOLVER, 53))
    except OSError as exc:
        pytest.skip(f"cannot listen on {RESOLVER}:53: {exc}")
    sock.setblocking(False)
    yield sock
    sock.close()


def _queries(sock: socket.socket) -> list[str]:
    names = []
    while True:
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return names
        # QNAME: length-prefixed labels after the 12-byte header.
        labels, i = [], 12
        while i < len(data) and data[i]:
            labels.append(data[i + 1:i + 1 + data[i]].decode("ascii", "replace"))
            i += 1 + data[i]
        names.append(".".join(labels))


def test_a_full_call_makes_no_dns_query(tmp_path, dns_listener):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"nameserver {RESOLVER}\noptions timeout:1 attempts:1\n")
    port, rtp = next_ports()
    bot = BotProcess(port, rtp, tmp_path / "bot")
    # Same process, same network; only /etc/resolv.conf differs (a bind mount seen by the bot alone).
    bot.cmd = ["unshare", "-m", "sh", "-c", f'mount --bind "{resolv}" /etc/resolv.conf && exec "$@"', "sh",
               *bot.cmd]
    with bot:
        mark = bot.mark()
        phone = Phone(tmp_path, "demo-en", call=bot.uri)
        report = phone.report()
        finished = call_result(bot, mark)[0]
        time.sleep(10)  # the lookup seen in the field came 3-7 s after a call ended
        asked = _queries(dns_listener)
    assert report["legs"] and finished["outcome"], finished
    assert bot.events("user_turn", mark), "the call had no recognised speech: not a full call"
    assert asked == [], f"the bot looked up {asked}"
