"""The labelled time phrases of the trial: the product's readers get every one right, and the
benchmark's scoring refuses near misses (so a regression shows as a miss, not as a pass)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("time_phrases_bench", ROOT / "benchmarks" / "time_phrases.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_labelled_phrase_is_read_right(bench):
    rows = bench.load()
    assert len(rows) >= 40
    assert {k for k, _, _ in rows} == {"callback", "note", "shopping"}
    result = bench.score(bench.product, rows)
    assert result["misses"] == []


def test_scoring_refuses_near_misses(bench):
    at = datetime(2026, 11, 18, 21, 0, tzinfo=bench.ZONE)
    assert not bench.is_right("callback", "2026-11-18 22:00", at)
    assert bench.is_right("callback", "2026-11-18 15:30..21:30", at)
    assert not bench.is_right("callback", "2026-11-18 15:30..21:00", at)  # the window's end is open
    assert not bench.is_right("note", "prefer=-;avoid=12-14;days=any", bench.Note((12, 14), None, "any"))  # 中午别打 read backwards
    assert not bench.is_right("shopping", "2025-11-11", date(2026, 11, 11))
    assert bench.is_right("shopping", "2026-02-10~7", date(2026, 2, 8))
    assert not bench.is_right("shopping", "2025-11-11", None)


def test_jionlp_is_scored_on_the_same_phrases_and_loses_to_the_product(bench):
    """jionlp (a test dependency) read through the same scoring: it has no negation, so 中午别打 is a
    noon preference, and it does not know 618; the product's readers stay (time_phrases.json)."""
    reader, reason = bench.jionlp_reader()
    assert reader is not None, reason
    rows = bench.load()
    jio, product = bench.score(reader, rows), bench.score(bench.product, rows)
    assert jio["n"] == product["n"] == len(rows)
    assert jio["right"] < product["right"]
    assert not bench.is_right("note", "prefer=-;avoid=12-14;days=any", reader("note", "中午别打"))
    assert reader("shopping", "618") is None
