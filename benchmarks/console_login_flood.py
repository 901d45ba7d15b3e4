"""The console under a login flood: how slow does the live board get for a supervisor already in?

A real `voicebot console` process on a private redis-server with three live calls. A supervisor
polls /api/live; meanwhile N clients post wrong passwords as fast as they can (each login costs a
full scrypt hash, ≈0.1–0.2 s of CPU). Two configurations:

* defaults: 30 attempts per source address per minute (the flood comes from one address, so most
  attempts are answered 429 without hashing) and one KDF thread with 8 waiting at most;
* per-source throttle off (1,000,000 attempts): only the bounded KDF pool protects the board.

The issue reported 7 ms → 2.9 s for /api/live under 40 concurrent logins before these limits.

Usage: .venv/bin/python benchmarks/console_login_flood.py [--clients 40] [--seconds 10]
Writes benchmarks/results/console_login_flood.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from machine_state import machine

from voicebot.session.events import CallEvent
from voicebot.store.events import RedisEventSink
from voicebot.store.redis_server import PrivateRedis
from voicebot.supervisor.passwords import hash_password

PASSWORD = "bench-supervisor-pass"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def login(self, user: str, password: str) -> int:
        _, page = self.get("/login")
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        token = found.group(1) if found else ""  # the console before CSRF tokens has none
        data = urllib.parse.urlencode({"username": user, "password": password, "csrf": token}).encode()
        req = urllib.request.Request(self.base + "/login", data=data, headers={"Origin": self.base})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run(redis_socket: str, per_source: int, clients: int, seconds: float, tmp: Path,
        console_code: str = "") -> dict:
    port = _free_port()
    # PBKDF2 at 200,000 iterations: the hash the console used before (it upgrades it at login now).
    users = {"sue": {"password_hash": hash_password(PASSWORD, iterations=200_000), "role": "supervisor"}}
    env = {**os.environ, "VOICEBOT_REDIS__URL": f"unix://{redis_socket}",
           "VOICEBOT_SUPERVISOR__USERS": json.dumps(users),
           "VOICEBOT_SUPERVISOR__LOGIN_ATTEMPTS_PER_SOURCE": str(per_source),
           "VOICEBOT_PATHS__RECORDINGS_DIR": str(tmp / "recordings"), "VOICEBOT_CONFIG": str(tmp / "empty.toml")}
    (tmp / "empty.toml").write_text("", encoding="utf-8")
    if console_code:  # another checkout's console (before/after on the same loaded machine)
        env["PYTHONPATH"] = console_code
    proc = subprocess.Popen([sys.executable, "-m", "voicebot", "console", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=console_code or None)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=1)
                break
            except OSError:
                assert time.time() < deadline and proc.poll() is None, "console did not start"
                time.sleep(0.2)
        sup = Browser(base)
        status = sup.login("sue", PASSWORD)
        assert status == 200, f"supervisor login answered {status}"  # 200: redirected to /live

        def poll(duration: float) -> list[float]:
            out = []
            end = time.time() + duration
            while time.time() < end:
                t = time.perf_counter()
                status, _ = sup.get("/api/live")
                assert status == 200
                out.append((time.perf_counter() - t) * 1000)
                time.sleep(0.05)
            return out

        idle = poll(3.0)
        stop = threading.Event()
        codes: dict[int, int] = {}
        lock = threading.Lock()

        def flood(i: int) -> None:
            b = Browser(base)
            while not stop.is_set():
                code = b.login(f"attacker{i}", "wrong")
                with lock:
                    codes[code] = codes.get(code, 0) + 1

        threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(clients)]
        for th in threads:
            th.start()
        time.sleep(1.0)
        flooded = poll(seconds)
        stop.set()
        for th in threads:
            th.join(60)
        return {"attempts_per_source": per_source, "clients": clients,
                "api_live_idle_ms": {"p50": round(statistics.median(idle), 1), "p95": round(_percentile(idle, 0.95), 1)},
                "api_live_flood_ms": {"p50": round(statistics.median(flooded), 1),
                                      "p95": round(_percentile(flooded, 0.95), 1), "max": round(max(flooded), 1),
                                      "samples": len(flooded)},
                "login_answers": {str(k): v for k, v in sorted(codes.items())}}
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--before", default="", metavar="CHECKOUT",
                    help="also measure the console of another checkout (e.g. the commit before the limits)")
    args = ap.parse_args()
    info = machine()  # before anything of its own loads the machine
    tmp = Path(tempfile.mkdtemp(prefix="vb-flood-"))
    redis = PrivateRedis(tmp / "redis")
    redis.start()
    try:
        client = redis.client()
        sink = RedisEventSink(client, worker="bench")
        for i in range(3):
            sink(CallEvent("call_started", f"bench-{i}", {"direction": "outbound", "remote": "sip:+8613812345678@pbx",
                                                          "customer": {"name": f"客户{i}", "segment": "new_lead"}}))
            sink(CallEvent("user_turn", f"bench-{i}", {"text": "我想了解一下套餐价格"}))
        sink.flush()
        sink.close()
        results = [run(redis.socket_path, per_source, args.clients, args.seconds, tmp)
                   for per_source in (30, 1_000_000)]
        if args.before:
            before = run(redis.socket_path, 1_000_000, args.clients, args.seconds, tmp, console_code=args.before)
            results.append({**before, "attempts_per_source": "n/a (before the limits)", "code": "before"})
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    out = {"benchmark": "console_login_flood", "machine": info, "runs": results}
    print(json.dumps(out, indent=1, ensure_ascii=False))
    path = Path(__file__).parent / "results" / "console_login_flood.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
