"""Console users and sessions: password hashes from config, session records in Redis with a TTL.

Sessions live in Redis so several console processes behind one address share them and they expire
on their own (absolute expiry, from login). The key is the SHA-256 of the token
(``voicebot:console:session:<sha256>``): whoever can read Redis sees no usable cookie. Each session
carries its own CSRF token, and ends when the user's password is changed in the config.

Wrong passwords are counted per (user name, source address): ten from one address lock that name
for that address only, so nobody can lock a named supervisor out from elsewhere. Hashes weaker than
the configured scrypt cost are re-hashed at a successful login and kept in Redis
(``voicebot:console:pwhash:<user>``), tied to the config hash they replace: changing the password in
the config makes the upgraded copy void.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass

import redis

from voicebot.config import SupervisorConfig
from voicebot.logs import get_logger
from voicebot.supervisor.passwords import ITERATIONS, hash_password, needs_upgrade, verify_password

__all__ = ["Authenticator", "ConsoleSession", "LoginResult", "hash_password", "verify_password", "ITERATIONS"]

SESSION_PREFIX = "voicebot:console:session:"
FAILURES_PREFIX = "voicebot:console:failures:"
LOCK_PREFIX = "voicebot:console:locked:"
UPGRADED_PREFIX = "voicebot:console:pwhash:"
ROLES = ("supervisor", "viewer")
_log = get_logger("voicebot.console.auth")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def session_key(token: str) -> str:
    return SESSION_PREFIX + _digest(token)


@dataclass(frozen=True)
class ConsoleSession:
    token: str
    user: str
    role: str
    expires: float
    csrf: str = ""

    @property
    def supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def key(self) -> str:
        """A short stable name for this session (stream counting), not the token."""
        return _digest(self.token)[:16]


@dataclass(frozen=True)
class LoginResult:
    session: ConsoleSession | None
    status: str  # "ok" | "refused" | "locked"
    retry_after_s: int = 0


class Authenticator:
    def __init__(self, cfg: SupervisorConfig, client: redis.Redis) -> None:
        self.cfg, self.client = cfg, client
        # Checking an unknown user costs as much as a known one (no user-name probing by timing).
        self._dummy_hash = hash_password(secrets.token_hex(8), log_n=cfg.scrypt_log_n)

    def locked_for(self, user: str, source: str) -> int:
        """Seconds this user name stays locked for this source (0: not locked)."""
        ttl = self.client.ttl(LOCK_PREFIX + _digest(user, source))
        return max(0, int(ttl or 0))

    def login(self, user: str, password: str, source: str = "") -> LoginResult:
        wait = self.locked_for(user, source)
        if wait:
            return LoginResult(None, "locked", wait)  # no KDF for a locked name: guessing stays cheap to refuse
        account = self.cfg.users.get(user)
        stored = self._effective_hash(user, account.password_hash) if account else self._dummy_hash
        ok = verify_password(password, stored) and account is not None
        if not ok:
            return self._failed(user, source)
        self.client.delete(FAILURES_PREFIX + _digest(user, source))
        if needs_upgrade(stored, self.cfg.scrypt_log_n):
            self._upgrade(user, account.password_hash, password)
        token = secrets.token_urlsafe(32)
        expires = time.time() + self.cfg.session_ttl_s
        csrf = secrets.token_urlsafe(24)
        # Tied to the configured hash: a password changed in the config ends the user's sessions.
        record = {"user": user, "role": account.role, "expires": expires, "csrf": csrf,
                  "pw": _digest(account.password_hash)}
        self.client.set(session_key(token), json.dumps(record), ex=self.cfg.session_ttl_s)
        return LoginResult(ConsoleSession(token, user, account.role, expires, csrf), "ok")

    def _failed(self, user: str, source: str) -> LoginResult:
        key = FAILURES_PREFIX + _digest(user, source)
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, self.cfg.lockout_window_s)
        failures = int(pipe.execute()[0])
        if failures >= self.cfg.lockout_failures:
            self.client.set(LOCK_PREFIX + _digest(user, source), "1", ex=self.cfg.lockout_window_s)
            self.client.delete(key)
            return LoginResult(None, "locked", self.cfg.lockout_window_s)
        return LoginResult(None, "refused")

    def _effective_hash(self, user: str, configured: str) -> str:
        raw = self.client.get(UPGRADED_PREFIX + user)
        if raw:
            try:
                record = json.loads(raw)
                if record.get("from") == _digest(configured):
                    return str(record["hash"])
            except (ValueError, KeyError, AttributeError):
                pass
        return configured

    def _upgrade(self, user: str, configured: str, password: str) -> None:
        new = hash_password(password, log_n=self.cfg.scrypt_log_n)
        self.client.set(UPGRADED_PREFIX + user, json.dumps({"from": _digest(configured), "hash": new}))
        _log.info("console_password_upgraded", user=user, algorithm=new.split("$", 1)[0])

    def session(self, token: str | None) -> ConsoleSession | None:
        if not token or len(token) > 100:
            return None
        raw = self.client.get(session_key(token))
        if raw is None:
            return None
        try:
            record = json.loads(raw)
            expires, user, csrf = float(record["expires"]), str(record["user"]), str(record.get("csrf", ""))
        except (ValueError, KeyError, TypeError):
            return None
        if expires <= time.time():
            return None
        account = self.cfg.users.get(user)
        if account is None:  # user removed from the config: their sessions die with them
            return None
        if record.get("pw") != _digest(account.password_hash):
            return None  # the password was changed since this login
        return ConsoleSession(token, user, account.role, expires, csrf)

    def logout(self, token: str) -> None:
        self.client.delete(session_key(token))
