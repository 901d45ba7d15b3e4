"""Behind a reverse proxy: the client address comes from X-Forwarded-For / X-Real-IP only when the
TCP peer is a trusted proxy (supervisor.trusted_proxies); login throttling and lockout use it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from voicebot.config import SupervisorConfig
from voicebot.supervisor import audit
from voicebot.supervisor.client_address import ClientAddressResolver

from .conftest import PASSWORDS, console_settings, post_login


def _app(tmp_path, redis_client, **supervisor):
    from voicebot.supervisor.app import create_app

    return create_app(console_settings(tmp_path, **supervisor), redis_client)


def test_resolver_trusts_headers_only_from_listed_proxies():
    r = ClientAddressResolver.from_config(["127.0.0.1", "10.0.0.0/8", "fd00::/8"])
    # Untrusted peer: whatever it writes is ignored.
    assert r.resolve("203.0.113.9", {"x-forwarded-for": "1.2.3.4", "x-real-ip": "5.6.7.8"}) == "203.0.113.9"
    # Trusted proxy: the right-most hop that is not a proxy; a client-written prefix is skipped.
    assert r.resolve("10.0.0.5", {"x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.0.0.9"}) == "198.51.100.7"
    assert r.resolve("127.0.0.1", {"x-real-ip": "198.51.100.8"}) == "198.51.100.8"
    assert r.resolve("127.0.0.1", {"x-forwarded-for": "[2001:db8::1]:443"}) == "2001:db8::1"
    assert r.resolve("127.0.0.1", {"x-forwarded-for": "nonsense"}) == "127.0.0.1"
    assert r.resolve("127.0.0.1", {}) == "127.0.0.1"
    assert ClientAddressResolver.from_config([]).resolve("127.0.0.1", {"x-forwarded-for": "1.2.3.4"}) == "127.0.0.1"
    with pytest.raises(ValidationError, match="trusted_proxies: 'ten.0.0.0/8'"):
        SupervisorConfig(trusted_proxies=["ten.0.0.0/8"])


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(tmp_path, redis_client):
    app = _app(tmp_path, redis_client, login_attempts_per_source=3, trusted_proxies=["10.9.9.9"])
    with TestClient(app, client=("203.0.113.50", 5000)) as attacker:
        # A fresh made-up X-Forwarded-For on every attempt still counts against the real peer.
        codes = [post_login(attacker, f"x{i}", "bad", headers={"x-forwarded-for": f"192.0.2.{i}",
                                                                 "x-real-ip": f"192.0.2.{i}"}).status_code
                 for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert {e["source"] for e in audit.recent(redis_client, action="login_refused")} == {"203.0.113.50"}


def test_two_clients_behind_a_trusted_proxy_are_throttled_and_locked_separately(tmp_path, redis_client):
    app = _app(tmp_path, redis_client, login_attempts_per_source=3, lockout_failures=2,
               trusted_proxies=["10.0.0.0/8"])
    alice = {"x-forwarded-for": "198.51.100.1"}
    bob = {"x-forwarded-for": "6.6.6.6, 198.51.100.2"}  # bob wrote a first hop himself: ignored
    with TestClient(app, client=("10.0.0.1", 4000)) as proxy:
        # alice guesses sue's password twice: sue is locked for alice's address only.
        assert [post_login(proxy, "sue", "wrong", headers=alice).status_code for _ in range(2)] == [401, 429]
        assert post_login(proxy, "sue", PASSWORDS["sue"], headers=alice).status_code == 429
        assert post_login(proxy, "sue", PASSWORDS["sue"], headers=bob).status_code == 303
        # alice's attempt budget is spent; bob's is not.
        assert post_login(proxy, "vic", PASSWORDS["vic"], headers=alice).status_code == 429
        assert post_login(proxy, "vic", PASSWORDS["vic"], headers=bob).status_code == 303
    locked = audit.recent(redis_client, action="login_locked")
    assert locked and {e["source"] for e in locked} == {"198.51.100.1"}
    assert {e["source"] for e in audit.recent(redis_client, action="login")} == {"198.51.100.2"}


def test_served_by_uvicorn_a_local_peer_cannot_forge_its_address(tmp_path, redis_client):
    """Over real HTTP: uvicorn's own proxy_headers trusted X-Forwarded-For from any 127.0.0.1 peer even
    with trusted_proxies=[] (40 wrong logins went unthrottled, a user was locked "at" 198.51.100.7 and
    the audit source was forged). Served as `voicebot console` serves it, the peer address counts."""
    import httpx

    from .conftest import Served

    app = _app(tmp_path, redis_client, login_attempts_per_source=3, trusted_proxies=[])
    with Served(app) as url, httpx.Client(base_url=url) as client:
        codes = [post_login(client, f"x{i}", "bad", headers={"x-forwarded-for": f"198.51.100.{i}"}).status_code
                 for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert {e["source"] for e in audit.recent(redis_client, action="login_refused")} == {"127.0.0.1"}
