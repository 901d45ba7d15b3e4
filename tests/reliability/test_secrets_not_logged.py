"""Secrets set in the environment appear in no log line: not in a settings dump, not in an error
about an unreachable Redis, not in a traceback, not under any secret-looking key."""

from __future__ import annotations

import io
import sys

from voicebot.config import load_settings
from voicebot.secret_fields import hide_userinfo, is_secret_key

SECRETS = {"VOICEBOT_SIP__PASSWORD": "sip-Pa55-word", "VOICEBOT_PHONE_SUPERVISION__PIN": "918273",
           "VOICEBOT_REDIS__URL": "redis://:redis-Pa55@127.0.0.1:1/0",
           "VOICEBOT_TRANSCRIPT_KEY": "aGVsbG8taGVsbG8taGVsbG8taGVsbG8taGVsbG8tMTI="}
NEEDLES = ["sip-Pa55-word", "918273", "redis-Pa55", "aGVsbG8taGVsbG8t"]


def test_startup_and_config_dumps_hold_no_secret(monkeypatch, tmp_path):
    from voicebot.logs import configure_logging, get_logger
    from voicebot.store.redis_server import StoreError, connect_redis

    monkeypatch.setenv("VOICEBOT_CONFIG", str(tmp_path / "voicebot.toml"))
    (tmp_path / "voicebot.toml").write_text('[sip]\nregistrar = "sip:pbx.example.com"\n', encoding="utf-8")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.sip.password.get_secret_value() == "sip-Pa55-word"  # read, just not shown
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buf)
    configure_logging("INFO", json_output=True)
    log = get_logger("voicebot.startup")
    log.info("settings_loaded", settings=settings, sip=settings.sip, redis=settings.redis)
    log.info("settings_dump", **settings.model_dump(mode="python"))
    log.info("env", **{k: v for k, v in SECRETS.items()}, transcript_key=SECRETS["VOICEBOT_TRANSCRIPT_KEY"],
             api_key="sk-abc", console_secret_key="s3", password="x", redis_url=settings.redis.url)
    try:
        connect_redis(settings)  # nothing listens on port 1
    except StoreError as exc:
        log.error("redis_unreachable", error=str(exc))
        try:
            raise RuntimeError(f"while connecting to {settings.redis.url}") from exc
        except RuntimeError:
            log.exception("startup_failed")
    out = buf.getvalue()
    assert "redis_unreachable" in out and "startup_failed" in out and "127.0.0.1:1" in out
    for needle in NEEDLES + ["sk-abc", '"s3"']:
        assert needle not in out, needle
    assert "redis-Pa55" not in repr(settings) and "sip-Pa55-word" not in repr(settings) and "918273" not in str(settings)


def test_the_secret_key_table():
    for key in ("password", "sip_password", "pin", "api_key", "apikey", "auth_token", "console_secret_key",
                "transcript_key", "VOICEBOT_SIP__PASSWORD", "client_secret"):
        assert is_secret_key(key), key
    for key in ("key", "call_id", "raw_key_file", "raw_key_env", "pinyin", "passes", "attempt_key", "tls_key_file"):
        assert not is_secret_key(key), key
    assert hide_userinfo("redis://user:pw@h:6379/0 and http://a:b@x/y") == "redis://***@h:6379/0 and http://***@x/y"
    assert hide_userinfo("sip:13812345678@pbx") == "sip:13812345678@pbx"  # a SIP URI's user is no secret
    assert hide_userinfo("<sip:bot:pw1@pbx:5060>, sip:pbx:5060;lr x@y") == "<sip:bot:***@pbx:5060>, sip:pbx:5060;lr x@y"
