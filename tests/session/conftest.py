"""The engines the memory-line tests share (one load per module): real Whisper and Piper."""

from __future__ import annotations

import pytest

from tests.session.memory_line import AGENT, memory_line_settings
from voicebot.session.engines import Engines, load_engines

__all__ = ["AGENT", "engines"]


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> Engines:
    engines = load_engines(memory_line_settings(tmp_path_factory.mktemp("recordings")))
    yield engines
    engines.close()
