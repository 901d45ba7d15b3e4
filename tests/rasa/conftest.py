"""Real Rasa servers for the tests: one light model per language, trained once from the sample dialplan
(plus the replies in replies.py) and served once per session; every server is killed at the end.

Rasa lives in .venv-rasa (scripts/setup-rasa.sh, which scripts/test.sh runs).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from voicebot.dialogue.plan import Dialplan, load_dialplan
from voicebot.dialogue.rasa_export import export_rasa_project
from voicebot.dialogue.rasa_runtime import RasaServer, find_rasa, train_model

from .replies import REPLIES

ROOT = Path(__file__).resolve().parents[2]
PLAN_FILES = {"en-US": ROOT / "dialplans" / "outbound_marketing_en.yaml",
              "zh-CN": ROOT / "dialplans" / "outbound_marketing_zh.yaml"}
HELDOUT_FILES = {"en-US": ROOT / "tests" / "dialogue" / "heldout_en.tsv",
                 "zh-CN": ROOT / "tests" / "dialogue" / "heldout_zh.tsv"}

_BLOCK = int(os.environ.get("VOICEBOT_TEST_PORT_BLOCK", "0"))
_ports = itertools.count(0)


def next_rasa_port() -> int:
    """HTTP ports for Rasa servers, apart from the SIP (5200+) and RTP (20000+) ranges of every block."""
    return 15000 + 100 * _BLOCK + next(_ports)


def heldout(locale: str) -> list[tuple[str, str]]:
    """(intent, text) rows of the held-out file; '#' lines are comments."""
    rows = []
    for line in HELDOUT_FILES[locale].read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, text = line.split("\t")
            rows.append((intent, text))
    return rows


@pytest.fixture(scope="session")
def rasa_bin() -> Path:
    return find_rasa()  # a clear error naming scripts/setup-rasa.sh if Rasa is not installed


@pytest.fixture(scope="session")
def plans() -> dict[str, Dialplan]:
    return {locale: load_dialplan(path) for locale, path in PLAN_FILES.items()}


@pytest.fixture(scope="session")
def rasa_models(rasa_bin, plans, tmp_path_factory) -> dict[str, Path]:
    """Each sample dialplan exported (examples, out-of-scope negatives, replies) and trained."""
    models = {}
    for locale, plan in plans.items():
        project = tmp_path_factory.mktemp(f"rasa-{locale}")
        export_rasa_project(plan.locale, plan.examples, project, REPLIES[locale],
                            out_of_scope_examples=plan.out_of_scope_examples)
        models[locale] = train_model(rasa_bin, project)
    return models


@pytest.fixture(scope="session")
def rasa_servers(rasa_bin, rasa_models):
    servers = {}
    try:
        for locale, model in rasa_models.items():
            servers[locale] = RasaServer(rasa_bin, model, next_rasa_port()).start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()
