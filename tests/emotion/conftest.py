"""Emotion tests: the generated evaluation set (built on first use, ~35 s, cached in .cache/emotion-eval)."""

from __future__ import annotations

import pytest
from make_eval_set import load_manifest


@pytest.fixture(scope="session")
def eval_rows() -> list[dict]:
    return load_manifest()
