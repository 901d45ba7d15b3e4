"""Secrets never reach the logs: one table of secret-looking keys, and URL passwords.

``redact_secrets`` is a structlog processor (voicebot.logs): a value under a key that names a
secret (``password``, ``sip_password``, ``pin``, ``api_key``, ``transcript_key`` ...) becomes
``"***"`` at any depth, and ``user:password@`` in any URL in any string becomes ``***@``. Settings
hide theirs in ``repr`` (``SecretStr`` fields, and ``RedisConfig``'s URL), so logging a settings
object, or an exception holding one, shows none either.
"""

from __future__ import annotations

import re
from typing import Any

HIDDEN = "***"

# The table: a key is secret when one of its underscore-separated words is here ("sip_password",
# "redis_pass", "pin"), or it ends in one of SECRET_SUFFIXES ("authtoken", "transcript_key"). A bare
# "key" is not: log lines carry Redis key names under it.
SECRET_WORDS = frozenset({"password", "passwd", "pass", "pwd", "secret", "pin", "token", "apikey",
                          "credentials", "credential", "authorization", "cookie"})
SECRET_SUFFIXES = ("password", "secret", "token", "apikey", "api_key", "secret_key", "access_key", "private_key",
                   "encryption_key", "transcript_key", "fernet_key")
# Keys that contain such a word but name no secret (what a key is, not the key itself).
NOT_SECRET_KEYS = frozenset({"key_file", "key_env", "tls_key_file", "public_key", "idempotency_key", "key_id",
                             "attempt_key", "redis_key", "keys", "password_hash_scheme"})

_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
# sip:user:password@host (RFC 3261 advises against it, some PBX configs still do it): the user stays.
_SIP_PASSWORD = re.compile(r"(?P<user>\bsips?:[^:@\s;<>]+):[^@\s;<>]+@")


def is_secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    k = key.lower().replace("-", "_")
    if k in NOT_SECRET_KEYS:
        return False
    return bool(SECRET_WORDS.intersection(k.split("_"))) or k.endswith(SECRET_SUFFIXES)


def hide_userinfo(text: str) -> str:
    """``redis://:s3cret@host:6379/0`` -> ``redis://***@host:6379/0`` (wherever a URL sits in ``text``)."""
    if "@" not in text:
        return text
    if "://" in text:
        text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{HIDDEN}@", text)
    if "sip" in text:
        text = _SIP_PASSWORD.sub(lambda m: f"{m.group('user')}:{HIDDEN}@", text)
    return text


def redact(value: Any, key: object = None) -> Any:
    if key is not None and is_secret_key(key) and value not in (None, "", b""):
        return HIDDEN
    if isinstance(value, str):
        return hide_userinfo(value)
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def redact_secrets(_logger: object, _name: str, event_dict: dict) -> dict:
    """structlog processor: secret-keyed values and URL passwords out of every event."""
    return {k: redact(v, k) for k, v in event_dict.items()}
