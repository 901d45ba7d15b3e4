"""Redis connection: the configured URL, or a private ``redis-server`` on a unix socket.

The private server lives in ``<cache_dir>/redis/`` (socket, pid file, append-only file), so
campaign state survives restarts; a server already running from that directory is reused.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from voicebot.config import Settings
from voicebot.errors import VoicebotError
from voicebot.logs import get_logger
from voicebot.secret_fields import hide_userinfo

_log = get_logger("voicebot.store.redis")
SOCKET_NAME = "redis.sock"


class StoreError(VoicebotError):
    """Redis cannot be reached or started."""


@dataclass(frozen=True)
class PrivateRedis:
    directory: Path

    @property
    def socket_path(self) -> Path:
        return self.directory / SOCKET_NAME

    @property
    def pid_path(self) -> Path:
        return self.directory / "redis.pid"

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket_path), decode_responses=True)

    def running(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self, timeout_s: float = 10.0) -> redis.Redis:
        if self.running():
            return self.client()
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise StoreError("redis-server not found: install it (apt-get install redis-server) or set redis.url")
        self.directory.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket_path)) > 100:  # AF_UNIX path limit is 108 bytes
            raise StoreError(f"redis socket path too long ({self.socket_path}); use a shorter paths.cache_dir")
        self.socket_path.unlink(missing_ok=True)  # stale socket from a crashed server
        cmd = [
            binary, "--port", "0", "--unixsocket", str(self.socket_path), "--unixsocketperm", "700",
            "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "everysec",
            "--daemonize", "yes", "--pidfile", str(self.pid_path),
            "--logfile", str(self.directory / "redis.log"), "--save", "",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise StoreError(f"redis-server failed to start: {proc.stderr.strip() or proc.stdout.strip()}")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.running():
                _log.info("redis_started", socket=str(self.socket_path))
                return self.client()
            time.sleep(0.05)
        raise StoreError(f"redis-server did not answer on {self.socket_path}; see {self.directory / 'redis.log'}")

    def stop(self, timeout_s: float = 10.0) -> None:
        """Clean stop (SIGTERM: redis flushes the append-only file and removes its socket)."""
        try:
            pid = int(self.pid_path.read_text().strip())
            if b"redis-server" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                return  # stale pid file; the number now belongs to another process
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        raise StoreError(f"redis-server (pid {pid}) did not stop within {timeout_s} s")


def private_redis(settings: Settings) -> PrivateRedis:
    return PrivateRedis(Path(settings.paths.cache_dir) / "redis")


_WARNED: set[str] = set()


@dataclass(frozen=True)
class Persistence:
    aof: bool | None  # None: the server would not say (CONFIG disabled on a managed Redis)
    rdb: bool | None

    @property
    def ephemeral(self) -> bool:
        """Known to keep nothing across a restart."""
        return self.aof is False and self.rdb is False


def persistence(client: redis.Redis) -> Persistence:
    """AOF and RDB as the server reports them (INFO for AOF, CONFIG GET save for RDB snapshots)."""
    info = client.info("persistence")
    aof = bool(int(info["aof_enabled"])) if "aof_enabled" in info else None
    try:
        save = client.config_get("save").get("save")
        rdb = None if save is None else bool(str(save).strip())
    except redis.ResponseError:  # CONFIG renamed or disabled
        rdb = None
    return Persistence(aof, rdb)


def check_persistence(client: redis.Redis, allow_ephemeral: bool, where: str) -> Persistence:
    """Refuses (StoreError) a Redis that persists nothing, unless allowed; then warns loudly."""
    found = persistence(client)
    if found.ephemeral:
        if not allow_ephemeral:
            raise StoreError(f"redis at {where} has neither AOF nor RDB persistence: a restart would lose every "
                             "campaign, outcome and do-not-call entry. Enable appendonly (CONFIG SET appendonly yes, "
                             "and in redis.conf), or start with --allow-ephemeral-redis (redis.allow_ephemeral) "
                             "to accept that risk")
        if where not in _WARNED:  # once per process, not once per connection
            _WARNED.add(where)
            _log.warning("redis_ephemeral", redis=where,
                         detail="neither AOF nor RDB: a Redis restart loses campaigns and the do-not-call list")
    return found


def connect_redis(settings: Settings) -> redis.Redis:
    """A client with ``decode_responses=True``; starts the private server when no URL is set."""
    if not settings.redis.url:
        return private_redis(settings).start()
    client = redis.Redis.from_url(settings.redis.url, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise StoreError(f"cannot reach redis at {hide_userinfo(settings.redis.url)}: "
                         f"{hide_userinfo(str(exc))}") from exc
    check_persistence(client, settings.redis.allow_ephemeral, hide_userinfo(settings.redis.url))
    return client
