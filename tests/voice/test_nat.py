"""A caller behind a real NAT: three network namespaces (a public network with the bot and a TURN
server, a router that masquerades, a private network with the caller), built with `ip netns` and
nftables. Skipped where the kernel or the user cannot make them (no root, no network namespaces).

The caller (the callee simulator, pjsua2) calls the bot's public address from its private one. With
ICE on both sides and coturn as STUN/TURN server, the caller offers server-reflexive and relay
candidates, and audio crosses both ways through the NAT.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from voicebot.callee.harness import BotProcess, callee_command, finish_callee, start_callee

from .conftest import call_result, next_ports
from .test_sip_transport_security import SHORT

pytestmark = pytest.mark.slow

PUBLIC_BOT = "198.51.100.10"  # TEST-NET-2: never routed anywhere real
ROUTER_PUBLIC = "198.51.100.1"
ROUTER_PRIVATE = "10.77.0.1"
CALLER = "10.77.0.2"
TURN_USER, TURN_PASSWORD = "vbturn", "turn-s3cret"


def _sh(*cmd: str) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {out.stderr.strip()}")


class NatRig:
    """pub (bot, TURN) <-> rtr (masquerade) <-> priv (caller)."""

    def __init__(self) -> None:
        tag = f"{os.getpid() % 100000}"
        self.pub, self.rtr, self.priv = f"vbpub{tag}", f"vbrtr{tag}", f"vbpriv{tag}"

    def up(self) -> NatRig:
        for ns in (self.pub, self.rtr, self.priv):
            _sh("ip", "netns", "add", ns)
            _sh("ip", "-n", ns, "link", "set", "lo", "up")
        _sh("ip", "link", "add", "vbp0", "netns", self.pub, "type", "veth", "peer", "name", "vbr0", "netns", self.rtr)
        _sh("ip", "link", "add", "vbr1", "netns", self.rtr, "type", "veth", "peer", "name", "vbc0", "netns", self.priv)
        _sh("ip", "-n", self.pub, "addr", "add", f"{PUBLIC_BOT}/24", "dev", "vbp0")
        _sh("ip", "-n", self.rtr, "addr", "add", f"{ROUTER_PUBLIC}/24", "dev", "vbr0")
        _sh("ip", "-n", self.rtr, "addr", "add", f"{ROUTER_PRIVATE}/24", "dev", "vbr1")
        _sh("ip", "-n", self.priv, "addr", "add", f"{CALLER}/24", "dev", "vbc0")
        for ns, dev in ((self.pub, "vbp0"), (self.rtr, "vbr0"), (self.rtr, "vbr1"), (self.priv, "vbc0")):
            _sh("ip", "-n", ns, "link", "set", dev, "up")
        _sh("ip", "-n", self.priv, "route", "add", "default", "via", ROUTER_PRIVATE)
        _sh("ip", "netns", "exec", self.rtr, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        # The public side has no route to 10.77.0.0/24: only the router's masqueraded address is seen.
        _sh("ip", "netns", "exec", self.rtr, "nft", "add", "table", "ip", "nat")
        _sh("ip", "netns", "exec", self.rtr, "nft", "add", "chain", "ip", "nat", "post",
            "{ type nat hook postrouting priority 100 ; }")
        _sh("ip", "netns", "exec", self.rtr, "nft", "add", "rule", "ip", "nat", "post", "oifname", "vbr0",
            "masquerade")
        return self

    def down(self) -> None:
        for ns in (self.pub, self.rtr, self.priv):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def inside(self, ns: str, cmd: list[str]) -> list[str]:
        return ["ip", "netns", "exec", ns, *cmd]


def _can_build_namespaces() -> str:
    """Why this machine cannot build the rig (the kernel's or the user's limits), or ""."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = subprocess.run(["ip", "netns", "add", f"vbprobe{os.getpid()}"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"this kernel or container refuses network namespaces: {probe.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", f"vbprobe{os.getpid()}"], capture_output=True)
    return ""


@pytest.fixture
def rig():
    # The tools are the project's own setup (scripts/setup.sh): missing, they are a failure, not a skip.
    missing = [tool for tool in ("ip", "nft", "turnserver") if shutil.which(tool) is None]
    assert not missing, f"{missing} not installed: run scripts/setup.sh (it installs nftables and coturn)"
    why = _can_build_namespaces()
    if why:
        pytest.skip(why)
    rig = NatRig().up()
    try:
        yield rig
    finally:
        rig.down()


def _turnserver(rig: NatRig, workdir: Path) -> subprocess.Popen:
    log = workdir / "turnserver.log"
    proc = subprocess.Popen(rig.inside(rig.pub, [
        "turnserver", "-n", "--listening-ip", PUBLIC_BOT, "--relay-ip", PUBLIC_BOT, "--listening-port", "3478",
        "--min-port", "49160", "--max-port", "49200", "--lt-cred-mech", "--user", f"{TURN_USER}:{TURN_PASSWORD}",
        "--realm", "voicebot.test", "--fingerprint", "--no-tls", "--no-dtls", "--no-cli",
        "--log-file", "stdout", "--simple-log", "--pidfile", str(workdir / "turnserver.pid")]),
        stdout=open(log, "w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while f"{PUBLIC_BOT}:3478 " not in subprocess.run(rig.inside(rig.pub, ["ss", "-lun"]), capture_output=True,
                                                      text=True).stdout:
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()  # never leave a TURN server behind
            raise AssertionError("coturn did not start:\n" + log.read_text(errors="replace")[-2000:])
        time.sleep(0.2)
    return proc


def test_a_caller_behind_nat_reaches_the_bot_with_ice_through_turn(tmp_path, rig):
    turn = _turnserver(rig, tmp_path)
    ice = {"VOICEBOT_SIP__ICE": "true", "VOICEBOT_SIP__TRANSPORTS": '["udp"]',
           "VOICEBOT_SIP__STUN_SERVERS": f'["{PUBLIC_BOT}:3478"]', "VOICEBOT_SIP__TURN_SERVER": f"{PUBLIC_BOT}:3478",
           "VOICEBOT_SIP__TURN_USERNAME": TURN_USER, "VOICEBOT_SIP__TURN_PASSWORD": TURN_PASSWORD}
    port, rtp = next_ports()
    bot = BotProcess(port, rtp, tmp_path / "bot",
                     env={**ice, "VOICEBOT_SIP__BIND_HOST": "0.0.0.0", "VOICEBOT_SIP__TRACE": "true"})
    bot.cmd = rig.inside(rig.pub, bot.cmd)
    try:
        with bot:
            mark = bot.mark()
            caller_port, caller_rtp = next_ports()
            persona = tmp_path / "natted.json"
            persona.write_text(json.dumps({**SHORT, "name": "natted"}))
            report = tmp_path / "natted-report.json"
            cmd = callee_command(str(persona), caller_port, caller_rtp, report, call=f"sip:bot@{PUBLIC_BOT}:{port}",
                                 timeout=90)
            proc = start_callee(rig.inside(rig.priv, cmd), tmp_path / "natted.log",
                                env={**ice, "VOICEBOT_SIP__BIND_HOST": "0.0.0.0"})
            result = finish_callee(proc, report, 150)
            call_result(bot, mark)
            heard = bot.events("user_turn", mark)
            offers = [m["text"] for m in bot.events("sip_message", mark)
                      if m["direction"] == "rx" and m["text"].startswith("INVITE ")]
    finally:
        turn.terminate()
        turn.wait(10)
    assert offers, "the bot never received the caller's INVITE through the NAT"
    offer = offers[0]
    assert "typ host" in offer and CALLER in offer, offer  # the caller's own (private) candidate
    assert "typ srflx" in offer and ROUTER_PUBLIC in offer, offer  # learned from STUN behind the NAT
    assert "typ relay" in offer, offer  # allocated on the TURN server
    assert result["legs"] and result["legs"][0]["heard_bot_s"] > 1.0, result
    assert heard, "the bot heard nothing from the caller behind the NAT"
