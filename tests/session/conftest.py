"""The engines the memory-line tests share (one load per module): real Whisper and Piper."""

from __future__ import annotations

import pytest

from voicebot.config import load_settings
from voicebot.session.engines import Engines, load_engines

AGENT = "sip:agent@memory"


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> Engines:
    settings = load_settings()
    settings.paths.recordings_dir = tmp_path_factory.mktemp("recordings")
    settings.dialogue.agent_uri = AGENT
    settings.emotion.enabled = False
    engines = load_engines(settings)
    yield engines
    engines.close()
