"""The unmasked transcript, kept encrypted beside the masked one (``recording.keep_raw_encrypted``).

Each line is one Fernet token (AES-128-CBC + HMAC-SHA256) of the line's JSON, appended to
``<call>.raw.enc`` (0640) as the call goes, so a crash loses at most the line being written. The
key comes only from the environment variable ``recording.raw_key_env`` or the file
``recording.raw_key_file``; it is never read from the TOML settings and never logged.
``voicebot transcripts reveal CALL_ID`` decrypts one call for an authorised person and logs who
revealed which call, not what it said.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from voicebot.config import RecordingConfig
from voicebot.errors import VoicebotError

RAW_SUFFIX = ".raw.enc"


class TranscriptKeyError(VoicebotError):
    pass


def load_key(cfg: RecordingConfig) -> Fernet:
    """The Fernet key from the environment or the key file; a clear error when missing or malformed."""
    raw = os.environ.get(cfg.raw_key_env, "").strip()
    source = f"environment variable {cfg.raw_key_env}"
    if not raw and cfg.raw_key_file is not None:
        source = f"key file {cfg.raw_key_file}"
        try:
            raw = Path(cfg.raw_key_file).read_text(encoding="ascii").strip()
        except OSError as exc:
            raise TranscriptKeyError(f"cannot read the transcript key: {source}: {exc.strerror or exc}") from exc
    if not raw:
        raise TranscriptKeyError(f"no transcript key: set {cfg.raw_key_env} or recording.raw_key_file "
                                 "(make one with `voicebot transcripts keygen`)")
    try:
        return Fernet(raw.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise TranscriptKeyError(f"the transcript key in the {source} is not a Fernet key "
                                 "(32 url-safe base64 bytes, from `voicebot transcripts keygen`)") from None


def raw_path(transcript_path: Path) -> Path:
    return transcript_path.with_suffix(RAW_SUFFIX)


def encrypt_line(fernet: Fernet, line: dict[str, Any]) -> bytes:
    return fernet.encrypt(json.dumps(line, ensure_ascii=False).encode("utf-8")) + b"\n"


def find_raw(recordings_dir: Path, call_id: str) -> Path:
    if not call_id or "/" in call_id or call_id.startswith("."):
        raise VoicebotError(f"{call_id!r} is not a call id")
    found = sorted(Path(recordings_dir).glob(f"*/{call_id}{RAW_SUFFIX}"))
    if not found:
        raise VoicebotError(f"no encrypted raw transcript for call {call_id} under {recordings_dir} "
                            "(recording.keep_raw_encrypted was off, or it was purged)")
    return found[-1]


def reveal(path: Path, fernet: Fernet) -> list[dict[str, Any]]:
    lines = []
    for n, token in enumerate(path.read_bytes().splitlines(), 1):
        if not token.strip():
            continue
        try:
            lines.append(json.loads(fernet.decrypt(token.strip())))
        except InvalidToken:
            raise TranscriptKeyError(f"{path.name} line {n}: wrong transcript key, or the file was altered") from None
    return lines
