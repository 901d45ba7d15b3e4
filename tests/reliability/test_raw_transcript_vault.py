"""recording.keep_raw_encrypted: the masked transcript is stored as before, the unmasked one beside
it encrypted; `voicebot transcripts reveal` gives it back with the right key, logs who asked (not
the words), and fails clearly on a missing or wrong key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from voicebot.config import RecordingConfig
from voicebot.recording.raw_vault import TranscriptKeyError, load_key, raw_path
from voicebot.recording.recorder import CallRecorder

SAID = "我的卡号是6222 0212 3456 7890 128，住在北京市朝阳区建国路88号3号楼2单元501室"


def _cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "voicebot.toml").write_text(f'[paths]\nrecordings_dir = "{tmp_path / "rec"}"\n', encoding="utf-8")
    full = {k: v for k, v in os.environ.items() if k != "VOICEBOT_TRANSCRIPT_KEY"}
    full.update(VOICEBOT_CONFIG=str(tmp_path / "voicebot.toml"), **env)
    return subprocess.run([sys.executable, "-m", "voicebot", *args], capture_output=True, text=True, env=full, timeout=60)


def test_raw_transcript_is_encrypted_and_revealed_only_with_the_key(tmp_path):
    key = Fernet.generate_key().decode()
    rec = CallRecorder(tmp_path / "rec", "call42", 8000, 320, mask_numbers=True, raw_key=Fernet(key.encode()))
    rec.add_transcript("callee", SAID, 0.0, 2.0, 0.9)
    rec.close()
    masked = rec.transcript_path.read_text(encoding="utf-8")
    vault = raw_path(rec.transcript_path)
    assert "7890" not in masked and "建国路88号" not in masked
    assert vault.exists() and oct(vault.stat().st_mode & 0o777) == "0o640"
    assert "建国路".encode() not in vault.read_bytes() and b"6222" not in vault.read_bytes()

    ok = _cli(tmp_path, {"VOICEBOT_TRANSCRIPT_KEY": key}, "transcripts", "reveal", "call42", "--by", "qa-lead 投诉复核")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.splitlines()[0])["text"] == SAID
    assert "transcript_revealed" in ok.stderr and "qa-lead" in ok.stderr
    assert "建国路" not in ok.stderr and key not in ok.stderr  # audited without the words or the key

    missing = _cli(tmp_path, {}, "transcripts", "reveal", "call42", "--by", "x")
    assert missing.returncode == 2 and "VOICEBOT_TRANSCRIPT_KEY" in missing.stderr
    wrong = _cli(tmp_path, {"VOICEBOT_TRANSCRIPT_KEY": Fernet.generate_key().decode()}, "transcripts", "reveal",
                 "call42", "--by", "x")
    assert wrong.returncode == 2 and "wrong transcript key" in wrong.stderr and "建国路" not in wrong.stdout


def test_key_sources_and_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("VOICEBOT_TRANSCRIPT_KEY", raising=False)
    (tmp_path / "garbage.key").write_text("hunter2\n", encoding="ascii")
    key_file = tmp_path / "transcript.key"
    key_file.write_text(Fernet.generate_key().decode() + "\n", encoding="ascii")
    assert load_key(RecordingConfig(raw_key_file=key_file))
    for cfg, message in [(RecordingConfig(), "no transcript key"),
                         (RecordingConfig(raw_key_file=tmp_path / "absent.key"), "cannot read the transcript key"),
                         (RecordingConfig(raw_key_file=tmp_path / "garbage.key"), "not a Fernet key")]:
        try:
            load_key(cfg)
        except TranscriptKeyError as exc:
            assert message in str(exc) and "hunter2" not in str(exc)
        else:
            raise AssertionError(f"{cfg} should fail")
    monkeypatch.setenv("VOICEBOT_TRANSCRIPT_KEY", "not-a-key")
    try:
        load_key(RecordingConfig())
    except TranscriptKeyError as exc:
        assert "not a Fernet key" in str(exc) and "not-a-key" not in str(exc)
    else:
        raise AssertionError("a malformed key must fail")


def test_the_server_refuses_to_start_without_the_key(monkeypatch, tmp_path):
    """keep_raw_encrypted with no key stops at start-up (Engines), not call by call."""
    from voicebot.config import Settings
    from voicebot.session.engines import Engines

    monkeypatch.delenv("VOICEBOT_TRANSCRIPT_KEY", raising=False)
    settings = Settings(recording={"mask_transcripts": True, "keep_raw_encrypted": True})
    try:
        Engines(settings, recognizer=None, renderer=None, dialogues=None)  # type: ignore[arg-type]
    except TranscriptKeyError as exc:
        assert "VOICEBOT_TRANSCRIPT_KEY" in str(exc)
    else:
        raise AssertionError("Engines must refuse to start without the transcript key")
    monkeypatch.setenv("VOICEBOT_TRANSCRIPT_KEY", Fernet.generate_key().decode())
    assert isinstance(Engines(settings, recognizer=None, renderer=None, dialogues=None).transcript_key, Fernet)


def test_retention_deletes_the_encrypted_copy_too(tmp_path):
    from voicebot.recording.retention import purge_expired

    day = tmp_path / "2020-01-01"
    day.mkdir()
    for name in ("c1.wav", "c1.jsonl", "c1.raw.enc"):
        (day / name).write_bytes(b"x")
    purge_expired(tmp_path, 30)
    assert not any(day.glob("c1.*"))


@pytest.mark.slow  # a real call: bot and phone processes, Whisper, Piper (~30 s)
def test_a_real_call_keeps_the_raw_words_only_encrypted(tmp_path):
    """`voicebot call` to a phone that says its address: the stored transcript and the log hold it
    masked, the .raw.enc holds it encrypted, and `transcripts reveal` gives the words back."""
    import yaml

    from voicebot.callee.harness import callee_command, finish_callee, start_callee
    from voicebot.masking import mask_text

    block = int(os.environ.get("VOICEBOT_TEST_PORT_BLOCK", "0"))
    sip, rtp = 5200 + 400 * block + 152, 20000 + 8000 * block + 5100  # apart from the voice tests' first 50
    persona = tmp_path / "persona.yaml"
    persona.write_text(yaml.safe_dump({"name": "address", "locale": "en-US",
                                       "turns": [{"say": "I live at 42 Oak Street."}, {"say": "Goodbye."}]}))
    phone = start_callee(callee_command(str(persona), sip, rtp, tmp_path / "report.json", timeout=150, wait=150),
                         tmp_path / "callee.log")
    key = Fernet.generate_key().decode()
    env = {"VOICEBOT_TRANSCRIPT_KEY": key, "VOICEBOT_RECORDING__MASK_TRANSCRIPTS": "true",
           "VOICEBOT_RECORDING__KEEP_RAW_ENCRYPTED": "true"}
    call = _cli(tmp_path, env, "call", f"sip:phone@127.0.0.1:{sip}", "--port", str(sip + 2), "--rtp-port",
                str(rtp + 200), "--timeout", "120")
    finish_callee(phone, tmp_path / "report.json")
    assert call.returncode == 0, call.stderr[-3000:]
    result = json.loads(call.stdout)
    masked = [json.loads(x) for x in Path(result["transcript"]).read_text(encoding="utf-8").splitlines()]
    shown = _cli(tmp_path, env, "transcripts", "reveal", result["call_id"], "--by", "qa")
    raw = [json.loads(x) for x in shown.stdout.splitlines()]
    said = [r["text"] for r in raw if r["who"] == "callee" and "Oak" in r["text"]]
    assert said, raw  # Whisper heard the address
    assert [m["text"] for m in masked] == [mask_text(r["text"]) for r in raw]
    assert "Oak" not in json.dumps(masked) and "Oak" not in call.stderr  # neither stored nor logged in clear
