"""Building the pjsua2 endpoint and account from ``SipConfig``: transports (UDP/TCP/TLS over IPv4),
NAT settings (public address, STUN, outbound proxy), SRTP and codec preference.

Everything here runs once, on the SIP thread, before the first call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pjsua2 as pj

from voicebot.config import MediaConfig, SipConfig
from voicebot.errors import SipError

# Call slots compiled into pjsua2-python (PJSUA_MAX_CALLS): pjsua refuses a call beyond them itself.
PJSUA_CALL_SLOTS = 4

_SRTP_USE = {"off": pj.PJMEDIA_SRTP_DISABLED, "optional": pj.PJMEDIA_SRTP_OPTIONAL,
             "mandatory": pj.PJMEDIA_SRTP_MANDATORY}


def describe(exc: Exception) -> str:
    return exc.info() if isinstance(exc, pj.Error) else str(exc)


@dataclass
class Transports:
    """pjsua transport ids by kind ("udp", "tcp", "tls") and where each listens."""

    ids: dict[str, int] = field(default_factory=dict)
    listening: dict[str, str] = field(default_factory=dict)


def ep_config(sip: SipConfig, media: MediaConfig, writer: pj.LogWriter, log_level: int) -> pj.EpConfig:
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = False
    # All compiled-in slots: admission (sip.max_calls) is the bot's own decision, so that a caller
    # over the limit gets the bot's 486 with Retry-After rather than pjsua's bare one.
    cfg.uaConfig.maxCalls = PJSUA_CALL_SLOTS
    cfg.uaConfig.userAgent = sip.user_agent
    if sip.stun_servers and not sip.public_address:
        for server in sip.stun_servers:  # a SWIG StringVector: append only (extend crashed start-up)
            cfg.uaConfig.stunServer.append(server)
        cfg.uaConfig.stunIgnoreFailure = True  # a dead STUN server must not stop the bot: warn, go on
    cfg.medConfig.clockRate = media.clock_rate
    cfg.medConfig.sndClockRate = media.clock_rate
    cfg.medConfig.audioFramePtime = media.frame_ms
    cfg.medConfig.ptime = 20
    cfg.medConfig.jbInit = media.jb_init_ms
    cfg.medConfig.jbMinPre = media.jb_min_pre_ms
    cfg.medConfig.jbMaxPre = media.jb_max_pre_ms
    cfg.medConfig.jbMax = media.jb_max_ms
    cfg.medConfig.noVad = True  # keep RTP flowing during silence: our VAD needs every frame
    cfg.medConfig.ecTailLen = 0  # no sound device, so no acoustic echo to cancel
    cfg.medConfig.maxMediaPorts = max(64, PJSUA_CALL_SLOTS * 4)
    cfg.logConfig.writer = writer
    cfg.logConfig.level = log_level
    # pjsua hands an entry to the writer only up to consoleLevel (0 silenced the writer entirely);
    # with a writer set nothing goes to the console itself.
    cfg.logConfig.consoleLevel = log_level
    cfg.logConfig.decor = 0
    return cfg


def create_transports(ep: pj.Endpoint, sip: SipConfig) -> Transports:
    out = Transports()
    plan: list[tuple[str, int, str, int]] = []
    for kind in sip.transports:
        port = sip.tls_listen_port() if kind == "tls" else sip.port
        v4 = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP, "tls": pj.PJSIP_TRANSPORT_TLS}[kind]
        plan.append((kind, v4, sip.bind_host, port))
    for name, ttype, host, port in plan:
        tcfg = pj.TransportConfig()
        tcfg.port = port
        if host not in ("", "0.0.0.0", "::"):
            tcfg.boundAddress = host
        if sip.public_address:
            tcfg.publicAddress = sip.public_address
        if name.startswith("tls"):
            _tls(tcfg.tlsConfig, sip)
        try:
            out.ids[name] = ep.transportCreate(ttype, tcfg)
        except (pj.Error, SipError) as exc:
            raise SipError(f"cannot listen for SIP {name.upper()} on {host or '*'}:{port}: {describe(exc)}"
                           f" (sip.bind_host / sip.port{' / sip.tls_port' if name.startswith('tls') else ''})") from None
        out.listening[name] = f"{host}:{port}"
    return out


def _tls(tls: pj.TlsConfig, sip: SipConfig) -> None:
    for label, path in (("sip.tls_cert_file", sip.tls_cert_file), ("sip.tls_key_file", sip.tls_key_file)):
        if not path:
            raise SipError(f'transport "tls" needs {label} (a PEM file)')
        if not os.access(path, os.R_OK):
            raise SipError(f"{label}: cannot read {path}")
    tls.certFile = str(Path(sip.tls_cert_file))
    tls.privKeyFile = str(Path(sip.tls_key_file))
    if sip.tls_ca_file:
        tls.CaListFile = sip.tls_ca_file
    tls.verifyServer = sip.tls_verify_server
    tls.method = pj.PJSIP_TLSV1_2_METHOD


def own_aor(sip: SipConfig, registrar: str) -> str:
    domain = sip.domain or _host_of(registrar)
    return f"sip:{sip.account_user()}@{domain or f'{sip.bind_host}:{sip.port}'}"


def _host_of(uri: str) -> str:
    """``sip:pbx.example.com:5060;transport=tcp`` -> ``pbx.example.com:5060``."""
    rest = uri.split(":", 1)[1] if uri.startswith(("sip:", "sips:")) else uri
    return rest.split(";", 1)[0].split("@")[-1]


def registrar_transport(registrar: str, outbound_proxy: str = "") -> str:
    """The transport REGISTERs go over: from the outbound proxy when set, else the registrar URI."""
    uri = (outbound_proxy or registrar).strip().strip("<>").lower()
    if uri.startswith("sips:") or "transport=tls" in uri:
        return "tls"
    if "transport=tcp" in uri:
        return "tcp"
    return "udp"


def account_config(sip: SipConfig, registrar: str) -> pj.AccountConfig:
    acfg = pj.AccountConfig()
    acfg.idUri = f'"{sip.display_name}" <{own_aor(sip, registrar)}>'
    if registrar:
        acfg.regConfig.registrarUri = registrar
        acfg.regConfig.timeoutSec = sip.register_expires_s
        # pjsua retries only after 408/5xx/6xx: the bot's own Registration retries after any failure.
        acfg.regConfig.retryIntervalSec = 0
        acfg.regConfig.dropCallsOnFail = False  # a REGISTER glitch must not cut live conversations
        # The Contact names the listening port and public_address, never the registration
        # connection's ephemeral source port (voicebot.sip.contacts says why).
        acfg.natConfig.contactUseSrcPort = False
        if registrar_transport(registrar, sip.outbound_proxy) != "udp":
            # Over a connection received/rport is its source port again: no rewrite from them. The
            # registrar reaches the bot over the flow (;ob) or at the listening port.
            acfg.natConfig.contactRewriteUse = 0
            acfg.natConfig.viaRewriteUse = 0
    else:
        acfg.regConfig.registerOnAdd = False
    if sip.password:
        acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", sip.realm, sip.account_user(), 0,
                                                              sip.password.get_secret_value()))
    if sip.outbound_proxy:
        acfg.sipConfig.proxies.append(sip.outbound_proxy)
    if sip.public_address:
        # NAT with a fixed public address: no rewriting from what the registrar saw.
        acfg.natConfig.contactRewriteUse = 0
        acfg.natConfig.viaRewriteUse = 0
        acfg.natConfig.sdpNatRewriteUse = 0
        acfg.mediaConfig.transportConfig.publicAddress = sip.public_address
    _apply_ice(acfg.natConfig, sip)
    mcfg = acfg.mediaConfig
    mcfg.transportConfig.port = sip.rtp_port
    mcfg.transportConfig.portRange = sip.rtp_port_range
    if sip.bind_host not in ("", "0.0.0.0") and not sip.ice:
        # pjsua cannot bind an ICE media transport to one address (PJ_EINVAL, every call 500):
        # with ICE the host candidates come from every interface.
        mcfg.transportConfig.boundAddress = sip.bind_host
    mcfg.srtpUse = _SRTP_USE[sip.srtp]
    # 0: SDES keys are offered over any SIP transport (1 would demand TLS, 2 end-to-end sips:).
    # docs/deployment.md says to pair SRTP with TLS outside a trusted network.
    mcfg.srtpSecureSignaling = 0
    return acfg


_TURN_TRANSPORT = {"udp": pj.PJ_TURN_TP_UDP, "tcp": pj.PJ_TURN_TP_TCP, "tls": pj.PJ_TURN_TP_TLS}


def _apply_ice(nat: pj.AccountNatConfig, sip: SipConfig) -> None:
    if not sip.ice:
        return
    nat.iceEnabled = True
    if sip.turn_server:
        nat.turnEnabled = True
        nat.turnServer = sip.turn_server
        nat.turnConnType = _TURN_TRANSPORT[sip.turn_transport]
        nat.turnUserName = sip.turn_username
        nat.turnPasswordType = 0  # plain text (pj_stun_passwd_type PJ_STUN_PASSWD_PLAIN)
        nat.turnPassword = sip.turn_password.get_secret_value()


def apply_codec_preference(ep: pj.Endpoint, codecs: list[str]) -> None:
    wanted = [c.upper() for c in codecs]
    available = [c.codecId for c in ep.codecEnum2()]
    matched = set()
    for codec_id in available:
        prio = 0
        for rank, prefix in enumerate(wanted):
            if codec_id.upper().startswith(prefix):
                prio = 250 - rank * 10
                matched.add(prefix)
                break
        ep.codecSetPriority(codec_id, prio)
    missing = [c for c in wanted if c not in matched]
    if missing:
        raise SipError(f"codecs {missing} from sip.codecs are not available; pjsua2 has {available}")
