"""In-process checks of the PBX-facing pieces where SIP on the wire shows nothing more: INVITE screening,
account settings for NAT/proxy/SRTP, registration backoff and failover, the registration metric."""

from __future__ import annotations

import pjsua2 as pj
import pytest

from voicebot.config import SipConfig
from voicebot.sip.endpoint import account_config, own_aor
from voicebot.sip.inbound import offer_direction, screen_invite, truncated_body
from voicebot.sip.keepalive import Target, udp_target
from voicebot.sip.registration import Registration

SDP = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


def invite(body: str = SDP, declared: int | None = None) -> str:
    length = len(body.encode()) if declared is None else declared
    return f"INVITE sip:bot@h SIP/2.0\r\nCall-ID: x\r\nContent-Length: {length}\r\n\r\n{body}"


def test_screening_picks_the_right_refusal():
    assert screen_invite(invite(), 1, 4) is None
    busy = screen_invite(invite(), 4, 3, retry_after_s=30)
    assert busy.code == 486 and busy.headers == {"Retry-After": "30"}
    assert screen_invite(invite(), 1, 4, draining=True).code == 503
    assert screen_invite(invite(SDP + "a=sendonly\r\n"), 1, 4).code == 488
    assert screen_invite(invite(SDP + "a=inactive\r\n"), 1, 4).code == 488
    assert screen_invite(invite(""), 1, 4) is None  # no SDP: we offer in the 200
    cut = invite(SDP[:40], declared=len(SDP))
    assert screen_invite(cut, 1, 4).code == 513 and "Content-Length" in truncated_body(cut)


def test_media_level_direction_overrides_the_session_level():
    body = SDP.replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n") + "a=sendrecv\r\n"
    assert offer_direction(invite(body)) == "sendrecv"
    assert offer_direction(invite("")) == ""


def test_account_settings_for_nat_proxy_and_srtp():
    sip = SipConfig(registrar="sip:pbx.example.com:5070", public_address="203.0.113.7",
                    outbound_proxy="sip:sbc.example.com;lr", srtp="mandatory", username="bot1")
    acfg = account_config(sip, sip.registrar)
    assert acfg.regConfig.retryIntervalSec == 0  # our Registration retries, after any failure
    assert list(acfg.sipConfig.proxies) == ["sip:sbc.example.com;lr"]
    assert acfg.mediaConfig.transportConfig.publicAddress == "203.0.113.7"
    assert acfg.natConfig.contactRewriteUse == 0
    assert acfg.mediaConfig.srtpUse == pj.PJMEDIA_SRTP_MANDATORY
    assert own_aor(sip, sip.registrar) == "sip:bot1@pbx.example.com:5070"


def test_keepalive_goes_over_udp_to_the_proxy_or_registrar():
    assert udp_target("sip:pbx.example.com") == Target("pbx.example.com", 5060)
    assert udp_target("sip:10.0.0.5:5070", "sip:10.0.0.9:5080;lr") == Target("10.0.0.9", 5080)
    assert udp_target("sip:pbx;transport=tcp") is None and udp_target("sips:pbx") is None


class _Account:
    """Stands in for the pjsua2 account: records what Registration asks of it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def getInfo(self):  # noqa: N802
        return type("Info", (), {"regIsConfigured": True})()

    def setRegistration(self, renew: bool) -> None:  # noqa: N802
        self.calls.append("register")

    def modify(self, cfg) -> None:
        self.calls.append(f"modify {cfg.regConfig.registrarUri}")


def test_backoff_doubles_and_failover_moves_to_the_next_registrar(monkeypatch):
    sip = SipConfig(registrar="sip:a", registrar_failover=["sip:b"], register_failover_after=3,
                    register_retry_min_s=2, register_retry_max_s=5, keepalive_interval_s=0)
    account = _Account()
    reg = Registration(sip, lambda: account)
    reg.started("sip:a")
    now = [1000.0]
    monkeypatch.setattr("voicebot.sip.registration.time.monotonic", lambda: now[0])
    monkeypatch.setattr("voicebot.sip.registration.random.uniform", lambda a, b: 1.0)
    reg.on_reg_state(401, "Unauthorized", 0)
    assert reg.state == "failed" and reg._retry_at == 1002.0
    now[0] = 1002.0
    reg.tick()
    assert account.calls == ["register"]
    reg.on_reg_state(403, "Forbidden", 0)
    assert reg._retry_at == 1006.0  # 4 s: doubled
    reg.on_reg_state(408, "Timeout", 0)  # third failure in a row: next registrar, at once
    assert reg.registrar == "sip:b"
    reg.tick()
    assert account.calls[-1] == "modify sip:b"
    reg.on_reg_state(200, "OK", 300)
    assert reg.status().ok and reg.failures == 0


def test_registration_metric():
    from prometheus_client import generate_latest

    from voicebot.sip.registration import RegistrationStatus
    from voicebot.supervisor.metrics import BotMetrics

    metrics = BotMetrics()
    status = RegistrationStatus("failed", "sip:pbx", 403, "Forbidden")
    metrics.watch_registration(lambda: status)
    text = generate_latest(metrics.registry).decode()
    assert 'voicebot_registration_state{registrar="sip:pbx",state="failed"} 0.0' in text


def test_each_worker_of_a_group_gets_its_own_account_and_health_port():
    from voicebot.session.workers import child_specs

    specs = child_specs(3, 5060, 40000, 2000, metrics_port=9100, health_port=8090)
    envs = [spec.env() for spec in specs]
    assert [e["VOICEBOT_SIP__WORKER"] for e in envs] == ["1", "2", "3"]
    assert [e["VOICEBOT_OPS__HEALTH_PORT"] for e in envs] == ["8090", "8091", "8092"]
    sip = SipConfig(username="voicebot{worker}", worker=int(envs[2]["VOICEBOT_SIP__WORKER"]), registrar="sip:pbx",
                    password="pw")
    assert own_aor(sip, sip.registrar) == "sip:voicebot3@pbx"
    assert sip.account_user() == "voicebot3"  # the digest user of its credentials, too


def test_a_broken_plan_on_reload_keeps_the_old_one_in_service(tmp_path):
    from types import SimpleNamespace

    from voicebot.config import Settings
    from voicebot.server.process import VoicebotServer

    broken = tmp_path / "plan.yaml"
    broken.write_text("nodes: [unclosed", encoding="utf-8")
    settings = Settings()
    settings.dialogue.plan = str(broken)
    old = object()
    server = SimpleNamespace(settings=settings, engines=SimpleNamespace(dialogues=old), sessions={})
    assert VoicebotServer.reload_dialplans(server) is False
    assert server.engines.dialogues is old


def test_an_outbound_call_that_bypasses_the_registrar_uses_its_destinations_transport():
    from voicebot.sip.contacts import outbound_transport

    tcp = "sip:pbx.example.com;transport=tcp"
    assert outbound_transport("sip:13800138000@pbx.example.com", tcp) is None  # the PBX routes it
    assert outbound_transport("sip:13800138000@pbx.example.com:5060", tcp) is None
    assert outbound_transport("sip:phone@10.0.0.7:5062", tcp) == "udp"
    assert outbound_transport("sips:phone@10.0.0.7", tcp) == "tls"
    assert outbound_transport("sip:phone@10.0.0.7;transport=TCP", tcp) is None  # same transport
    assert outbound_transport("sip:phone@10.0.0.7", "sip:pbx.example.com") is None
    assert outbound_transport("sip:phone@10.0.0.7", tcp, outbound_proxy="sip:sbc;transport=tcp") is None
    assert outbound_transport("sip:phone@10.0.0.7", "") is None  # direct mode


def test_turn_without_ice_is_refused_with_the_setting_named():
    from pydantic import ValidationError

    from voicebot.config import SipConfig

    with pytest.raises(ValidationError, match="sip.ice"):
        SipConfig(turn_server="turn.example.com:3478")
    cfg = SipConfig(ice=True, turn_server="turn.example.com:3478", turn_username="vb", turn_password="pw")
    assert "pw" not in repr(cfg)


def test_stun_servers_reach_the_endpoint_config():
    """`sip.stun_servers` crashed start-up ("StringVector has no attribute extend") before the NAT test
    exercised it; ignored when public_address is set."""
    from voicebot.config import MediaConfig
    from voicebot.sip.endpoint import ep_config
    from voicebot.sip.trace import PjLogWriter

    cfg = ep_config(SipConfig(stun_servers=["stun1.example.com:3478", "stun2.example.com"]), MediaConfig(),
                    PjLogWriter(False), 3)
    assert list(cfg.uaConfig.stunServer) == ["stun1.example.com:3478", "stun2.example.com"]
    fixed = ep_config(SipConfig(stun_servers=["stun1.example.com"], public_address="203.0.113.5"), MediaConfig(),
                      PjLogWriter(False), 3)
    assert list(fixed.uaConfig.stunServer) == []
