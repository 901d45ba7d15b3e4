"""Settings: SIP signalling, media, turn-taking, paths, logging and operations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "voicebot"


class PathsConfig(BaseModel):
    # Redis data, prompt audio and prepared models live under it (XDG_CACHE_HOME/voicebot).
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    # Prepared models (joined/rewritten from the model packages by setup). Apart from the rest of the
    # cache (Redis, prompt audio) so tests can use a fresh cache without re-preparing models.
    # Empty = <cache_dir>/models.
    models_dir: Path | None = None
    recordings_dir: Path = Path("recordings")  # call WAVs, transcripts and their .json sidecars, one folder a day
    dialplans_dir: Path = Path("dialplans")  # where a plan named by name or alias (dialogue.plan) is looked up

    @model_validator(mode="after")
    def _models_under_cache(self) -> "PathsConfig":
        if self.models_dir is None:
            self.models_dir = self.cache_dir / "models"
        return self


class LoggingConfig(BaseModel):
    level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR
    json_output: bool = True  # one JSON object a line (for log shippers); false = readable console lines


class SipConfig(BaseModel):
    # All interfaces: a PBX on another machine must reach the bot. Firewall the SIP and RTP ports to
    # the PBX's address (docs/deployment.md); set an interface address to bind to one network only.
    bind_host: str = "0.0.0.0"
    port: int = 5060  # SIP listening port (UDP and TCP); a process group uses port, port+1, ...
    # Transports the bot listens on; "tls" needs tls_cert_file and tls_key_file.
    transports: list[Literal["udp", "tcp", "tls"]] = ["udp", "tcp"]
    # TLS listens on its own port: 0 = port + 1000 (5060 -> 6060; worker i of a group gets 6060 + i,
    # since the group's SIP ports are consecutive and 5061 is worker 1's).
    tls_port: int = 0
    tls_cert_file: str = ""  # PEM certificate (chain) presented by the bot; needed for "tls"
    tls_key_file: str = ""  # the private key of tls_cert_file (PEM)
    tls_ca_file: str = ""  # CAs that sign the PBX's certificate (verify_server needs it)
    tls_verify_server: bool = False  # check the PBX's TLS certificate against tls_ca_file
    # SRTP with SDES keys (RTP/SAVP): "off", "optional" (offer/accept both) or "mandatory".
    # SDES keys travel in the SDP: without TLS for SIP anyone on the path can read them.
    srtp: Literal["off", "optional", "mandatory"] = "off"
    # No IPv6: the pjsua2-python wheel is built without PJ_HAS_IPV6 (pjsua_acc_add asserts on IPv6
    # media), so IPv6 calls would need a rebuilt wheel. docs/deployment.md says how to live with it.
    # Address advertised in Contact/Via and SDP when the bot sits behind NAT with port forwarding.
    public_address: str = ""
    stun_servers: list[str] = []  # "host:port"; used to learn the public address when none is set
    # ICE (RFC 8445) for media when callers sit behind NAT without an SBC: candidates in the SDP,
    # connectivity checks before audio. Off by default: a PBX or SBC on the path anchors media, and
    # most SIP trunks do not speak ICE. STUN servers above give server-reflexive candidates.
    ice: bool = False
    # TURN relay candidates (needs ice): "host:port" of a TURN server, e.g. coturn.
    turn_server: str = ""
    turn_transport: Literal["udp", "tcp", "tls"] = "udp"  # how the bot reaches the TURN server
    turn_username: str = ""  # TURN long-term credentials
    turn_password: SecretStr = SecretStr("")  # TURN long-term credentials (shown as ***)
    outbound_proxy: str = ""  # every request goes through it, e.g. "sip:sbc.example.com;lr"
    # RTP ports: each UA on a host needs its own range (pjsua defaults every UA to 4000).
    rtp_port: int = 40000
    rtp_port_range: int = 2000  # how many RTP ports from rtp_port this process may use
    # Empty registrar = direct mode: no REGISTER, calls go straight to/from peers.
    registrar: str = ""
    # Tried in turn after register_failover_after failures in a row at the current registrar.
    registrar_failover: list[str] = []
    register_failover_after: int = Field(3, ge=1)  # REGISTER failures in a row before the next registrar is tried
    # With fail-over registrars: a REGISTER unanswered this long counts as failed and the next
    # registrar is tried at once (pjsip's own timeout is 32 s). 0 = wait for pjsip.
    register_timeout_s: float = Field(5.0, ge=0)
    # On a fail-over registrar, OPTIONS to the primary this often; it answers = register there again. 0 = stay.
    registrar_failback_s: float = Field(30.0, ge=0)
    # "{worker}" is replaced by the process number in a group (serve --workers N: 1..N), so that each
    # worker registers its own PBX account: "voicebot{worker}" -> voicebot1, voicebot2, ...
    username: str = "voicebot"
    worker: int = Field(1, ge=1)  # set by the process group
    password: SecretStr = SecretStr("")  # repr and logs show ***; .get_secret_value() for the PBX
    realm: str = "*"  # digest realm of the PBX; "*" answers any realm
    domain: str = ""  # the bot's SIP domain (its address-of-record); empty = the registrar's host
    display_name: str = "voicebot"  # the name callers' phones show
    register_expires_s: int = 300  # registration lifetime asked of the registrar (refreshed before it ends)
    # Any failed REGISTER (401/403 included, which pjsua never retries) is retried after this
    # delay, doubled after each further failure up to the maximum.
    register_retry_min_s: float = Field(2.0, gt=0)
    register_retry_max_s: float = Field(60.0, gt=0)  # longest wait between REGISTER retries (backoff doubles up to it)
    # OPTIONS to our own address-of-record through the registrar: a 404/480 means the PBX lost our
    # binding (restart) and we register again at once; no answer means it is unreachable. 0 = off.
    keepalive_interval_s: float = Field(30.0, ge=0)
    # Preferred first. Names as pjsua2 lists them, matched by prefix.
    codecs: list[str] = ["PCMU/8000", "PCMA/8000", "G722/16000"]
    # How the bot sends and expects DTMF: RTP events (RFC 2833) or SIP INFO.
    dtmf_method: Literal["rfc2833", "sip_info"] = "rfc2833"
    # A "sip_resources" log line this often: calls, media ports, threads (a leak shows as a climb). 0 = off.
    resources_log_s: float = Field(60.0, ge=0)
    # An inbound TCP/TLS call's BYE and re-INVITEs go over the connection its INVITE came on (RFC 5923
    # connection reuse), not a new one to the caller's Contact: a phone that cannot accept
    # connections (no TLS certificate, behind NAT) still gets the bot's hang-up.
    reuse_inbound_connection: bool = True
    rtp_timeout_s: int = 30  # a call with no RTP from the peer this long is hung up (a dead phone or NAT)
    # Outbound calls still ringing after this long are cancelled and count as no answer.
    ring_timeout_s: float = 30.0
    # Live calls one process admits (legs of warm transfers included). pjsua2-python is built with
    # 4 call slots (PJSUA_MAX_CALLS: more fail with PJ_ETOOMANY); a call beyond the slots gets
    # pjsua's own 486 without Retry-After. With max_calls = 3 a slot stays free, so a caller over
    # the limit gets the bot's own 486 with Retry-After and a warm transfer can always place its
    # consult call. More calls per machine means more processes: worker_processes.
    max_calls: int = Field(4, ge=1, le=4)
    busy_retry_after_s: int = Field(30, ge=0)  # 0 = no Retry-After header
    # Processes in a group (serve --workers N sets it); each takes sip.max_calls calls.
    worker_processes: int = Field(1, ge=1, le=64)
    # New outbound calls per second from one process. pjlib frees a closed socket's slot only after
    # a grace period, so a burst of short calls (busy numbers) could exhaust its 64 handles and abort.
    max_calls_per_s: float = Field(5.0, gt=0)
    # Incoming INVITEs per source IP (token bucket: this many per second, up to burst at once).
    # Over it: 503 with Retry-After. Sized to pass any real caller (each process holds at most
    # max_calls calls; a PBX re-trying after 486 sends a few a second) and stop floods that would
    # exhaust pjlib's socket handles. 0 = off. The registrar(s), outbound proxy and
    # inbound_trusted_sources (IPs or host names, resolved at start) are exempt: a PBX trunk.
    inbound_calls_per_s_per_source: float = Field(5.0, ge=0)
    inbound_burst_per_source: int = Field(10, ge=1)  # token bucket size for inbound_calls_per_s_per_source
    # Live calls from one (non-exempt) source; over it: 486 with Retry-After. 0 = only max_calls.
    # Off by default: in direct mode the PBX is one source carrying every call.
    inbound_max_calls_per_source: int = Field(0, ge=0)
    inbound_trusted_sources: list[str] = []  # IPs or host names exempt from the per-source limits (a PBX trunk)
    user_agent: str = "voicebot/0.1"  # User-Agent and Server header of every SIP message
    # `voicebot doctor` tests credentials at the PBX only with this separate account (never the bot's
    # own: a registrar that keeps one contact per account would drop the live bot's binding).
    doctor_probe_username: str = ""
    doctor_probe_password: SecretStr = SecretStr("")  # password of doctor_probe_username (shown as ***)
    # Log every SIP message sent and received (event sip_message; digest responses masked).
    # `serve --sip-trace` sets it.
    trace: bool = False

    @model_validator(mode="after")
    def _turn_needs_ice(self) -> SipConfig:
        if self.turn_server and not self.ice:
            raise ValueError("sip.turn_server is set but sip.ice is false: TURN relays only ICE candidates; "
                             "set sip.ice = true")
        return self

    def tls_listen_port(self) -> int:
        if self.tls_port or not self.port:
            return self.tls_port  # port 0 (a probe's random port): TLS on a random port too
        return self.port + 1000

    def account_user(self) -> str:
        return self.username.replace("{worker}", str(self.worker))


class OpsConfig(BaseModel):
    # HTTP health endpoint of `voicebot serve`: /healthz (process and SIP thread alive) and /readyz
    # (also registered, when a registrar is set, and not draining). 0 = off.
    health_port: int = 0
    health_host: str = "127.0.0.1"  # address /healthz and /readyz listen on (loopback: the host's own checks)
    # /readyz answers 503 (not 200 with "degraded") while recordings cannot be written: for sites
    # that must not take a call they cannot record. Off: a full disk must not stop every call.
    unready_when_degraded: bool = False
    # SIGTERM: refuse new calls (503) and wait this long for active calls to end before hanging up.
    drain_timeout_s: float = 300.0


class MediaConfig(BaseModel):
    # The conference bridge and every call port run at this rate; codecs are resampled by pjmedia.
    clock_rate: int = 16000
    frame_ms: int = 20  # audio frame length through the media loop
    # Jitter buffer (ms). pjsua's defaults (150 ms initial, 60 ms minimum prefetch) are tuned for
    # the open internet; between a PBX and the bot on a LAN they are pure reply latency. The
    # buffer still grows adaptively up to jb_max_pre_ms when the network jitters.
    jb_init_ms: int = 20
    jb_min_pre_ms: int = 10  # jitter buffer minimum prefetch
    jb_max_pre_ms: int = 60  # jitter buffer maximum prefetch
    jb_max_ms: int = 500  # jitter buffer size


class TurnConfig(BaseModel):
    vad_aggressiveness: int = Field(2, ge=0, le=3)  # WebRTC VAD mode: 0 hears most as speech, 3 least (noisy lines)
    # Speech must last this long to open a callee turn (filters clicks and breaths).
    min_speech_ms: int = 120
    # Silence that closes a callee turn.
    end_of_turn_silence_ms: int = 400
    # Start recognising this long into the closing silence, so the result is ready at end of turn.
    speculative_asr_after_ms: int = 100
    # ... but only while fewer recognitions than this are running or waiting in the process: a
    # speculation that speech resumes over is a whole wasted decode (3 of 8 on the load probe's
    # sentences), and under load it queues in front of other calls' finished turns. 1 = only when
    # the process's recogniser is idle: at 16 calls on 2 cores p95 1,640 -> 1,280 ms against 2
    # (benchmarks/capacity.py, alone). 0 = never.
    speculation_max_in_flight: int = Field(1, ge=0)
    # Callee speech over the bot for this long stops the bot's playout.
    barge_in_ms: int = 300
    barge_in_enabled: bool = True  # the callee speaking over the bot stops the bot
    # Echo guard: callee audio whose loudness envelope follows the bot's (at 0-500 ms delay) with
    # at least this correlation is the bot's own echo and never barges in.
    echo_correlation: float = 0.9
    no_input_timeout_s: float = 8.0  # silence after the bot's question before the plan's no-input line
    # A reply still not ready this long after the callee stopped (an overloaded machine, a slow
    # engine): the bot says a short holding line once and keeps the turn, so the line never sounds
    # dead. 0 = never.
    reply_filler_after_s: float = Field(2.0, ge=0)
    # Rendered into the prompt cache at start-up, so the holding line costs no synthesis when the
    # machine is already short of CPU.
    reply_filler_lines: dict[str, str] = {"en-US": "Mm-hm, one moment.", "zh-CN": "好的，您稍等。"}
    max_turn_s: float = 20.0  # a callee turn is cut and recognised after this long
