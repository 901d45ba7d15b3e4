"""Dialplan loading: the samples are valid; broken files fail with file, line and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from voicebot.cli import main as cli
from voicebot.dialogue import load_dialplan
from voicebot.dialogue.plan import DialplanError

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "dialplans").glob("*.yaml"))
REQUIRED_INTENTS = {"greet", "affirm", "deny", "ask_price", "ask_discount", "ask_details", "ask_who_is_calling",
                    "request_human", "busy_call_later", "not_interested", "already_customer", "complaint",
                    "wrong_number", "stop_calling"}

MINIMAL = """\
name: tiny
locale: en-US
start: hello
segments:
  default: {offer: none}
no_match: Sorry?
no_input: Hello?
on_exhausted: bye
escalation:
  say: One moment.
  summary: "Customer {name}: {reason}"
  no_agent: Nobody is free.
intents:
  affirm: ['yes', sure, okay]
  deny: ['no', nope, never]
states:
  hello:
    say: Hello {name}, shall we talk?
    on:
      affirm: bye
      deny: bye
  bye:
    say: Goodbye.
    actions: [hang_up]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_dialplans_are_valid_and_complete(path):
    plan = load_dialplan(str(path))
    assert plan.locale in ("zh-CN", "en-US")
    assert REQUIRED_INTENTS <= set(plan.examples)
    assert any(i.complex for i in plan.spec.intents.values())
    assert plan.out_of_scope_examples
    # The seed's strategy table: segment -> offer and follow-up time.
    segs = plan.spec.segments
    assert segs["high_value_churn_risk"].offer == "spend_and_save_coupon" and segs["high_value_churn_risk"].follow_up_s <= 2 * 3600
    assert segs["high_value_churn_risk"].escalate
    assert segs["price_sensitive"].offer == "tiered_discount" and segs["price_sensitive"].follow_up_s == 24 * 3600
    assert segs["brand_loyal"].offer == "member_points" and segs["brand_loyal"].follow_up_s == 72 * 3600
    # >= 8 turns deep on the main path (greeting .. goodbye after a sale).
    main = ["greeting", "intro", "pitch", "details", "offer", "order", "delivery", "delivery_time", "closing_sale"]
    for a, b in zip(main, main[1:]):
        assert plan.spec.states[a].on["affirm"].goto == b, (a, b)


def test_minimal_plan_loads(tmp_path):
    plan = load_dialplan(str(_write(tmp_path, MINIMAL)))
    # the plan's own examples first, then the everyday library's (plan/inherit.py)
    assert plan.name == "tiny" and plan.examples["affirm"][:3] == ["yes", "sure", "okay"]
    assert len(plan.examples["affirm"]) > 30 and plan.inheritance.intents["affirm"].mode == "extended"


@pytest.mark.parametrize("old,new,needle,reason", [
    ("      affirm: bye\n", "      affirm: byebye\n", "affirm: byebye", "unknown state 'byebye'"),
    ("      deny: bye\n", "      maybe: bye\n", "maybe: bye", "unknown intent 'maybe'"),
    ("    say: Hello {name}, shall we talk?\n", "    say: Hello {nmae}, shall we talk?\n", "Hello {nmae}",
     "unknown template variable {nmae}"),
    ("    say: Hello {name}, shall we talk?\n", "    say: Hello {name, shall we talk?\n", "Hello {name,", "template"),
    ("    say: Hello {name}, shall we talk?\n", "    retries: 1\n", "retries: 1", "missing prompt"),
    ("    actions: [hang_up]\n", "    actions: [explode]\n", "actions: [explode]", "unknown action 'explode'"),
    ("    actions: [hang_up]\n", "    actions: [{send_offer: gold}]\n", "send_offer: gold", "unknown offer 'gold'"),
    ("locale: en-US\n", "locale: fr-FR\n", "locale: fr-FR", "locale"),
    ("  affirm: ['yes', sure, okay]\n", "  affirm: [yes, sure, okay]\n", "affirm: [yes", "quote it"),
    ("start: hello\n", "start: hello\ncolour: blue\n", "colour: blue", "unknown field"),
    ("  say: One moment.\n", "  say: One moment.\n  summary2: x\n", "summary2", "unknown field"),
    ("  affirm: ['yes', sure, okay]\n", "  affirm: ['yes', sure, nope]\n", "deny: ['no', nope", "also an example of 'affirm'"),
])
def test_broken_plan_names_file_line_and_reason(tmp_path, old, new, needle, reason):
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(DialplanError) as exc:
        load_dialplan(str(path))
    message = str(exc.value)
    assert reason in message, message
    expected_line = _line_of(text, needle)
    assert f"{path}:{expected_line}:" in message, (expected_line, message)


def test_missing_required_field_and_bad_yaml(tmp_path):
    path = _write(tmp_path, MINIMAL.replace("on_exhausted: bye\n", ""))
    with pytest.raises(DialplanError, match=r"plan.yaml:1: on_exhausted: required field is missing"):
        load_dialplan(str(path))
    path = _write(tmp_path, MINIMAL.replace("  bye:\n", "  bye: [\n"))
    with pytest.raises(DialplanError, match=r"plan.yaml:\d+: not valid YAML"):
        load_dialplan(str(path))
    with pytest.raises(DialplanError, match="no such file"):
        load_dialplan(str(tmp_path / "nope.yaml"))


def test_check_cli_reports_and_exits_nonzero(tmp_path, capsys):
    bad = _write(tmp_path, MINIMAL.replace("      affirm: bye\n", "      affirm: nowhere\n"))
    # The samples in-process (lint and the trap check reuse the session's trained classifiers); the
    # broken plan through a real `python -m voicebot`, which fails before any model loads, so the
    # exit status of the installed entry point is still checked.
    status = cli(["dialplan", "check", *[str(p) for p in SAMPLES]])
    ok = capsys.readouterr()
    assert status == 0, ok.err
    assert ok.out.count(": ok (") == len(SAMPLES)
    env_cmd = [sys.executable, "-m", "voicebot", "dialplan", "check"]
    broken = subprocess.run(env_cmd + [str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert broken.returncode == 1
    line = _line_of(bad.read_text(), "affirm: nowhere")
    assert f"{bad}:{line}: states.hello.on.affirm.goto: unknown state 'nowhere'" in broken.stderr
