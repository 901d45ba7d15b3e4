"""Password hashes for console users: scrypt for new hashes, PBKDF2-SHA256 still read (and upgraded).

Formats (one line each, ``$``-separated, as `voicebot console hash-password` prints them):

* ``scrypt$<log2 N>$<r>$<p>$<salt hex>$<hash hex>`` (default: N = 2**15, r = 8, p = 3: 32 MiB,
  within today's guidance for scrypt);
* ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`` (older configs; weaker than 600,000
  iterations counts as "needs upgrade").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCRYPT = "scrypt"
PBKDF2 = "pbkdf2_sha256"
SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P = 15, 8, 3
PBKDF2_MIN_ITERATIONS = 600_000
ITERATIONS = PBKDF2_MIN_ITERATIONS  # for hash_password(..., iterations=...) callers


def _scrypt(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    n = 1 << log_n
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 * r * n + (1 << 20))


def hash_password(password: str, iterations: int | None = None, salt: bytes | None = None,
                  log_n: int = SCRYPT_LOG_N) -> str:
    """scrypt by default; ``iterations`` asks for PBKDF2-SHA256 (tests, or systems without scrypt)."""
    if not password:
        raise ValueError("empty password")
    salt = salt or secrets.token_bytes(16)
    if iterations is not None:
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
        return f"{PBKDF2}${iterations}${salt.hex()}${digest.hex()}"
    if not 10 <= log_n <= 20:
        raise ValueError(f"scrypt log2(N) must be 10..20, got {log_n}")
    digest = _scrypt(password, salt, log_n, SCRYPT_R, SCRYPT_P)
    return f"{SCRYPT}${log_n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        parts = encoded.split("$")
        if parts[0] == PBKDF2 and len(parts) == 4:
            digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(parts[2]), int(parts[1]))
            expected = parts[3]
        elif parts[0] == SCRYPT and len(parts) == 6:
            log_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            if not (10 <= log_n <= 20 and 1 <= r <= 32 and 1 <= p <= 16):
                return False
            digest = _scrypt(password, bytes.fromhex(parts[4]), log_n, r, p)
            expected = parts[5]
        else:
            return False
    except (ValueError, MemoryError):
        return False  # a malformed hash in the config never logs anyone in
    return hmac.compare_digest(digest.hex(), expected)


def needs_upgrade(encoded: str, log_n: int = SCRYPT_LOG_N) -> bool:
    """True for PBKDF2 hashes and for scrypt hashes cheaper than the configured cost."""
    parts = encoded.split("$")
    if parts[0] != SCRYPT or len(parts) != 6:
        return True
    try:
        return int(parts[1]) < log_n or int(parts[3]) < SCRYPT_P
    except ValueError:
        return True
