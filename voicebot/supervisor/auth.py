"""Console users and sessions: PBKDF2 password hashes from config, session tokens in Redis with a TTL.

Sessions live in Redis (``voicebot:console:session:<token>``) so several console processes behind
one address share them, and so they expire on their own. The expiry is absolute (from login).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

import redis

from voicebot.config import SupervisorConfig

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 200_000
SESSION_PREFIX = "voicebot:console:session:"
FAILURES_PREFIX = "voicebot:console:failures:"
MAX_FAILURES = 10  # wrong passwords per user name within FAILURE_WINDOW_S before logins are refused
FAILURE_WINDOW_S = 300
ROLES = ("supervisor", "viewer")


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    if not password:
        raise ValueError("empty password")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        algorithm, iterations, salt, expected = encoded.split("$")
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False  # a malformed hash in the config never logs anyone in
    return hmac.compare_digest(digest.hex(), expected)


@dataclass(frozen=True)
class ConsoleSession:
    token: str
    user: str
    role: str
    expires: float

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"


class Authenticator:
    def __init__(self, cfg: SupervisorConfig, client: redis.Redis) -> None:
        self.cfg, self.client = cfg, client
        # Checking an unknown user costs as much as a known one (no user-name probing by timing).
        self._dummy_hash = hash_password(secrets.token_hex(8))

    def login(self, user: str, password: str) -> ConsoleSession | None:
        account = self.cfg.users.get(user)
        failures_key = FAILURES_PREFIX + hashlib.sha256(user.encode()).hexdigest()[:32]
        ok = verify_password(password, account.password_hash if account else self._dummy_hash)
        if int(self.client.get(failures_key) or 0) >= MAX_FAILURES:
            return None  # password guessing: this name is locked until the window passes
        if not (ok and account):
            pipe = self.client.pipeline()
            pipe.incr(failures_key)
            pipe.expire(failures_key, FAILURE_WINDOW_S)
            pipe.execute()
            return None
        self.client.delete(failures_key)
        token = secrets.token_urlsafe(32)
        expires = time.time() + self.cfg.session_ttl_s
        record = {"user": user, "role": account.role, "expires": expires}
        self.client.set(SESSION_PREFIX + token, json.dumps(record), ex=self.cfg.session_ttl_s)
        return ConsoleSession(token, user, account.role, expires)

    def session(self, token: str | None) -> ConsoleSession | None:
        if not token or len(token) > 100:
            return None
        raw = self.client.get(SESSION_PREFIX + token)
        if raw is None:
            return None
        record = json.loads(raw)
        if record["expires"] <= time.time():
            return None
        account = self.cfg.users.get(record["user"])
        if account is None:  # user removed from the config: their sessions die with them
            return None
        return ConsoleSession(token, record["user"], account.role, record["expires"])

    def logout(self, token: str) -> None:
        self.client.delete(SESSION_PREFIX + token)
