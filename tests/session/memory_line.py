"""Settings for a bot on the memory line, shared by the session tests and the memory-line benchmarks
(benchmarks/idle_cpu.py, barge_in.py): real Whisper and Piper, recordings in a folder of the
caller's, and an agent that is a memory phone."""

from __future__ import annotations

from pathlib import Path

from voicebot.config import Settings, load_settings

AGENT = "sip:agent@memory"


def memory_line_settings(recordings_dir: Path, emotion: bool = False) -> Settings:
    settings = load_settings()
    settings.paths.recordings_dir = Path(recordings_dir)
    settings.dialogue.agent_uri = AGENT
    settings.emotion.enabled = emotion  # off unless a test reads emotions: prosody is not what these measure
    return settings
