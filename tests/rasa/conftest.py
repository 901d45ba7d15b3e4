"""Real Rasa servers for the tests: one light model per language, trained once and served once per session.

Rasa lives in .venv-rasa (scripts/setup-rasa.sh; scripts/test.sh runs it). Every server is killed at the end.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from voicebot.dialogue.rasa_export import export_rasa_project
from voicebot.dialogue.rasa_runtime import RasaServer, find_rasa, train_model

from .sample_examples import EXAMPLES, REPLIES

_BLOCK = int(os.environ.get("VOICEBOT_TEST_PORT_BLOCK", "0"))
_ports = itertools.count(0)


def next_rasa_port() -> int:
    """HTTP ports for Rasa servers, apart from the SIP (5200+) and RTP (20000+) ranges of every block."""
    return 15000 + 100 * _BLOCK + next(_ports)


@pytest.fixture(scope="session")
def rasa_bin() -> Path:
    return find_rasa()  # a clear error naming scripts/setup-rasa.sh if Rasa is not installed


@pytest.fixture(scope="session")
def sample_models(rasa_bin, tmp_path_factory) -> dict[str, Path]:
    """The sample intents and replies of each language, exported and trained (one model per language)."""
    models = {}
    for locale, examples in EXAMPLES.items():
        project = tmp_path_factory.mktemp(f"rasa-sample-{locale}")
        export_rasa_project(locale, examples, project, REPLIES[locale])
        models[locale] = train_model(rasa_bin, project)
    return models


@pytest.fixture(scope="session")
def sample_servers(rasa_bin, sample_models):
    servers = {}
    try:
        for locale, model in sample_models.items():
            servers[locale] = RasaServer(rasa_bin, model, next_rasa_port()).start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()
