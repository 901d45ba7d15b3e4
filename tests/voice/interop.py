"""Real third-party SIP software from Debian for interop tests: Kamailio (registrar + proxy with digest
auth) and baresip (an agent's softphone). Both are configured by files written here, on loopback only."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from pathlib import Path

KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"

# Registrar + proxy. REGISTER needs digest auth against db_text's subscriber table. Requests from
# our own domain (the bot, the agent) need proxy auth; the rest (a caller's phone on loopback) is
# trusted. Requests to our domain go to the registered contact (404 when there is none, which is
# how the bot's OPTIONS keepalive notices lost bindings). The first ``glitches`` authenticated
# REGISTERs of ``glitch_user`` get one more 401 (a PBX hiccup), as in the field report.
KAMAILIO_CFG = """#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
{tls_listen}tcp_connection_lifetime=3605
alias="127.0.0.1:{port}"
mpath="{modules}"
loadmodule "kex.so"
loadmodule "db_text.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "ctl.so"
{tls_modules}modparam("usrloc", "db_mode", 0)
modparam("auth_db", "db_url", "text://{db}")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
modparam("pv", "shvset", "glitches=i:{glitches}")
modparam("ctl", "binrpc", "unix:{ctl}")

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route() || is_method("ACK|BYE|CANCEL|INFO|NOTIFY|REFER|UPDATE|INVITE")) {{ t_relay(); }}
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("REGISTER")) {{
        if (!www_authorize("$td", "subscriber")) {{ www_challenge("$td", "0"); exit; }}
        if ($fU == "{glitch_user}" && $shv(glitches) > 0) {{
            $shv(glitches) = $shv(glitches) - 1;
            xlog("L_WARN", "glitch: 401 to an authenticated REGISTER of $fU\\n");
            www_challenge("$td", "0");
            exit;
        }}
        consume_credentials();
        if (!save("location"{save_flags})) {{ sl_reply_error(); }}
        exit;
    }}
    if (from_uri == myself && !is_method("OPTIONS|ACK")) {{
        if (!proxy_authorize("$fd", "subscriber")) {{ proxy_challenge("$fd", "0"); exit; }}
        consume_credentials();
    }}
    if (is_method("INVITE|SUBSCRIBE|REFER")) {{ record_route(); }}
    if (uri == myself) {{
        if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    }}
    if (!t_relay()) {{ sl_reply_error(); }}
}}
"""


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class Kamailio:
    def __init__(self, workdir: Path, port: int, users: dict[str, str], glitches: int = 0,
                 glitch_user: str = "voicebot", single_contact: bool = False,
                 tls: tuple[int, Path, Path] | None = None) -> None:
        self.workdir, self.port, self.users, self.glitches = workdir, port, users, glitches
        self.tls = tls  # (port, certificate, key): TLS too, with kamailio-tls-modules
        self.ctl = workdir / f"k{port}.ctl"  # kamcmd's control socket
        # One contact per account, a new REGISTER replacing the old one (Asterisk max_contacts=1 +
        # remove_existing=yes behaves the same).
        self.save_flags = ', "0x04"' if single_contact else ""
        self.glitch_user = glitch_user
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"kamailio-{port}.log"
        self.pid_file = workdir / f"kamailio-{port}.pid"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write(self) -> Path:
        db = self.workdir / "kamdb"
        db.mkdir(parents=True, exist_ok=True)
        (db / "version").write_text("table_name(string) table_version(int)\nsubscriber:7\nlocation:9\n")
        # ha1 columns filled as well: db_text refuses empty ones, and Kamailio then answers 401 to a right password.
        rows = "".join(f"{i + 1}:{user}:127.0.0.1:{pw}:{_md5(f'{user}:127.0.0.1:{pw}')}:"
                       f"{_md5(f'{user}@127.0.0.1:127.0.0.1:{pw}')}:\n" for i, (user, pw) in enumerate(self.users.items()))
        (db / "subscriber").write_text("id(int,auto) username(string) domain(string) password(string) "
                                       "ha1(string) ha1b(string) email_address(string,null)\n" + rows)
        cfg = self.workdir / f"kamailio-{self.port}.cfg"
        tls_listen = tls_modules = ""
        if self.tls is not None:
            tls_port, certificate, key = self.tls
            tls_cfg = self.workdir / f"kamailio-tls-{self.port}.cfg"
            tls_cfg.write_text(f"[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                               f"require_certificate = no\nprivate_key = {key}\ncertificate = {certificate}\n\n"
                               f"[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                               f"require_certificate = no\n")
            tls_listen = f"enable_tls=yes\nlisten=tls:127.0.0.1:{tls_port}\n"
            tls_modules = f'loadmodule "tls.so"\nmodparam("tls", "config", "{tls_cfg}")\n'
        cfg.write_text(KAMAILIO_CFG.format(port=self.port, modules=KAMAILIO_MODULES, db=db, glitches=self.glitches,
                                         glitch_user=self.glitch_user, save_flags=self.save_flags, ctl=self.ctl,
                                         tls_listen=tls_listen, tls_modules=tls_modules))
        return cfg

    def forget(self, user: str) -> None:
        """Removes ``user``'s bindings while every connection stays up, as an admin or a failed-over
        usrloc can."""
        out = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl}", "ul.rm", "location", user],
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == 0, out.stdout + out.stderr

    def bindings(self, user: str) -> str:
        out = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl}", "ul.lookup", "location", user],
                             capture_output=True, text=True, timeout=10)
        return out.stdout + out.stderr

    def start(self) -> Kamailio:
        cfg = self._write()
        check = subprocess.run(["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr[-3000:]
        self.proc = subprocess.Popen(["kamailio", "-DD", "-E", "-f", str(cfg), "-P", str(self.pid_file),
                                      "-Y", str(self.workdir), "-w", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log_path, "a"))
        deadline = time.time() + 20
        while time.time() < deadline:
            if "INFO: <core> [core/udp_server.c" in self.log_path.read_text(errors="replace") or \
                    self._listening():
                return self
            assert self.proc.poll() is None, self.log_path.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        raise AssertionError("kamailio did not start:\n" + self.log_path.read_text(errors="replace")[-3000:])

    def _listening(self) -> bool:
        out = subprocess.run(["ss", "-lun"], capture_output=True, text=True).stdout
        return f"127.0.0.1:{self.port} " in out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        deadline = time.time() + 5
        while self._listening() and time.time() < deadline:
            time.sleep(0.1)

    def restart(self) -> None:
        """Bindings live in memory only: a restart forgets every registration, as a PBX restart can."""
        self.glitches = 0
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Baresip:
    """An agent's softphone: registers at Kamailio, answers automatically, plays a WAV as its voice
    and records both directions."""

    def __init__(self, workdir: Path, sip_port: int, rtp_port: int, user: str, password: str, registrar: Kamailio,
                 voice_wav: Path, dial: str = "") -> None:
        self.dir = workdir / f"baresip-{user}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.user, self.registrar, self.dial = user, registrar, dial
        (self.dir / "accounts").write_text(
            f"<sip:{user}@{registrar.domain}>;auth_pass={password};answermode=auto;regint=60;"
            f"outbound=\"sip:{registrar.domain}\"\n")
        (self.dir / "config").write_text(
            "poll_method epoll\n"
            f"sip_listen 127.0.0.1:{sip_port}\n"
            f"rtp_ports {rtp_port}-{rtp_port + 20}\n"
            "net_interface 127.0.0.1\n"
            f"audio_source aufile,{voice_wav}\n"
            "audio_player aufile,/dev/null\n"
            "module_path /usr/lib/baresip/modules\n"
            "module stdio.so\nmodule g711.so\nmodule aufile.so\nmodule sndfile.so\n"
            "module_app account.so\nmodule_app menu.so\n"
            f"snd_path {self.dir}\n")
        self.log_path = self.dir / "baresip.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> Baresip:
        assert shutil.which("baresip"), "baresip is not installed (scripts/setup.sh installs it)"
        dial = ["-e", f"/dial {self.dial}"] if self.dial else []
        self.proc = subprocess.Popen(["baresip", "-f", str(self.dir), *dial], stdin=subprocess.PIPE,
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.log_path.read_text(errors="replace")
            if "200 OK" in text and self.user in text:
                return self
            assert self.proc.poll() is None, text[-2000:]
            time.sleep(0.2)
        raise AssertionError("baresip did not register:\n" + self.log_path.read_text(errors="replace")[-2000:])

    def calls_established(self) -> int:
        return self.log().count("Call established")

    def recordings(self) -> list[Path]:
        return sorted(self.dir.glob("dump-*.wav"))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"q")
                self.proc.stdin.flush()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
