"""Settings: Supervision: phone listen/whisper/barge and the web console."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator


class PhoneSupervisionConfig(BaseModel):
    # Listen / whisper / barge by phone (docs/supervision.md). A supervisor dials
    # sip:<user>@bot or sip:<user>-<call id>@bot (or sends the X-Voicebot-Supervise header).
    enabled: bool = True
    user: str = "supervise"  # the SIP user supervisors dial to reach the menu
    # DTMF PIN asked before anything else; empty = the supervisor line refuses every call
    # (a line anyone can dial to listen to customers is a privacy hole).
    pin: SecretStr = SecretStr("")
    pin_attempts: int = 3  # wrong PINs before the supervision call is hung up
    # Seconds to wait for each DTMF entry before repeating the prompt, and prompts before hanging up.
    dtmf_timeout_s: float = 8.0
    max_prompts: int = 3  # menu prompts without an answer before hanging up
    # Typed instructions and outbound supervisor requests from the console (needs redis.url).
    redis_poll_s: float = 0.5
    # Supervisors' phones the bot may call for listen / whisper / barge without the customer-call
    # rules (console users' `phone` count too); any other number is checked like a customer's.
    supervisor_phones: list[str] = []


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
    """The wallboard's thresholds: a tile turns amber, then red, at these values."""

    calls_plan_per_day: int = 0  # 0 = no plan shown
    waiting_amber: int = 1  # callers waiting for an agent
    waiting_red: int = 3  # red from here (amber above)
    handle_time_amber_s: float = 240.0  # average handle time today
    handle_time_red_s: float = 420.0  # red from here
    escalations_amber: int = 3  # hand-overs to agents today
    escalations_red: int = 10  # red from here
    failed_transfers_amber: int = 1  # transfers no agent took today
    failed_transfers_red: int = 3  # red from here


class SupervisorConfig(BaseModel):
    console_host: str = "127.0.0.1"  # the web console's listening address (loopback behind a reverse proxy)
    console_port: int = 8080  # the web console's port
    session_ttl_s: int = 8 * 3600  # a console login lasts this long
    # The console refuses to start without at least one user: no surprise open console.
    users: dict[str, ConsoleUser] = {}
    # Prometheus endpoint of `voicebot serve` (0 = off).
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"  # address the Prometheus /metrics endpoint listens on
    # The console's own /metrics (login counts, live streams) answers without a login so Prometheus
    # can scrape it; set a token to require `Authorization: Bearer <token>` (Prometheus:
    # `authorization: {credentials: ...}`). Its figures name no customer and no call.
    metrics_token: SecretStr = SecretStr("")
    # Publish call events to the private Redis (under cache_dir) even when redis.url is empty,
    # so a console on the same machine sees the calls. With redis.url set, events always go there.
    publish_events: bool = False
    # Live listening: browser stream rate, and how often a worker checks for listeners.
    listen_rate: int = 8000
    listen_check_s: float = 0.25  # how often each bot process checks which calls have a live listener
    # Behind a TLS-terminating proxy the console sees plain HTTP: force the cookies' Secure flag.
    secure_cookies: bool = False
    # Login limits. Wrong passwords lock a user name for one source address (not for everyone:
    # anyone could otherwise lock a named supervisor out); each source has an attempt budget; the
    # password KDF runs at most kdf_concurrency at a time with at most kdf_queue waiting (429 beyond).
    lockout_failures: int = 10
    lockout_window_s: int = 300  # how long a user name stays locked for one address after lockout_failures
    login_attempts_per_source: int = 30  # login attempts from one address per login_window_s
    login_window_s: int = 60  # the window of login_attempts_per_source
    kdf_concurrency: int = 1  # password checks computed at once (scrypt is made to be expensive)
    kdf_queue: int = 8  # password checks that may wait; more get 429 (a login flood)
    # scrypt cost for new and upgraded password hashes (N = 2**scrypt_log_n, r = 8, p = 3: 32 MiB).
    scrypt_log_n: int = 15
    # Live-board streams (SSE): per session and in total.
    max_streams_per_session: int = 3
    max_streams_per_user: int = 6  # one viewer with many sessions cannot fill max_streams for everyone
    max_streams: int = 200  # live event streams open at once across all users
    # Wallboard: calls planned per day and the thresholds that turn a tile amber / red.
    wallboard: WallboardConfig = WallboardConfig()
    # After-call work: an agent whose transferred call (bridged through the bot) ended counts busy
    # this long more, on the wallboard's Agents free and for the campaign dialer's pacing (0 = free
    # the moment the call ends). A call handed over by REFER is counted for campaign.agent_handle_s
    # instead, wrap-up included.
    agent_wrap_up_s: float = Field(30.0, ge=0, le=3600)
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
