"""Issue #20 item 6: a stock redis-server with no persistence lost 20 customers, 12 outcomes and a
complaint's do-not-call entry on restart, and nothing said so. Now connecting to a Redis with
neither AOF nor RDB is refused with a clear error unless --allow-ephemeral-redis is given, and
`doctor` reports it. Real redis-server processes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import redis

from voicebot.cli import build_parser
from voicebot.config import Settings
from voicebot.ops.doctor import check_redis
from voicebot.store.redis_server import StoreError, connect_redis, persistence


@pytest.fixture
def ephemeral_redis(tmp_path_factory):
    directory = Path(tmp_path_factory.mktemp("eph", numbered=True))
    sock = directory / "r.sock"
    proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
                             "--dir", str(directory), "--appendonly", "no", "--save", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.02)
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_redis_without_persistence_is_refused_unless_allowed(ephemeral_redis, redis_server):
    settings = Settings(redis={"url": ephemeral_redis})
    assert persistence(redis.Redis.from_url(ephemeral_redis, decode_responses=True)).ephemeral
    with pytest.raises(StoreError, match="neither AOF nor RDB.*--allow-ephemeral-redis"):
        connect_redis(settings)
    settings.redis.allow_ephemeral = True
    assert connect_redis(settings).ping()
    # The suite's own Redis keeps an append-only file: accepted as is.
    assert connect_redis(Settings(redis={"url": f"unix://{redis_server.socket_path}"})).ping()


def test_the_flag_sets_it():
    args = build_parser().parse_args(["--allow-ephemeral-redis", "doctor"])
    assert args.allow_ephemeral_redis is True
    assert build_parser().parse_args(["doctor"]).allow_ephemeral_redis is False


def test_doctor_checks_persistence(ephemeral_redis, redis_server):
    bad = {f.check: f for f in check_redis(Settings(redis={"url": ephemeral_redis}))}
    assert bad["redis"].ok and not bad["redis persistence"].ok and "appendonly" in bad["redis persistence"].fix
    good = {f.check: f for f in check_redis(Settings(redis={"url": f"unix://{redis_server.socket_path}"}))}
    assert good["redis persistence"].ok and "AOF" in good["redis persistence"].detail
