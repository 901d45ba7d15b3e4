"""``voicebot chat`` (typed conversation, --script replay) and ``voicebot faq ask`` on the real sample
plans with the real sentence encoder, through the real command line (voicebot.cli.main)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from voicebot.cli import main
from voicebot.dialogue.chat import read_script
from voicebot.errors import VoicebotError

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "dialplans"
SCRIPTS = sorted((PLANS / "scripts").glob("outbound_marketing_*.txt"))


def _plan_for(script: Path) -> Path:
    lang = "zh" if "_zh_" in script.name else "en"
    return PLANS / f"outbound_marketing_{lang}.yaml"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_sample_plan_replay_scripts_pass(script, capsys):
    assert main(["chat", str(_plan_for(script)), "--script", str(script)]) == 0
    out = capsys.readouterr().out
    assert "0 unmet expectations" in out and "state=" in out and "intent=" in out


def test_replay_fails_with_file_line_when_an_expectation_is_not_met(tmp_path, capsys):
    script = tmp_path / "bad.txt"
    script.write_text("# the bot must say who is calling, not go on\n喂？哪位啊 => greet @ intro\n", encoding="utf-8")
    assert main(["chat", str(PLANS / "outbound_marketing_zh.yaml"), "--script", str(script)]) == 1
    out = capsys.readouterr().out
    assert f"{script}:2: FAILED" in out and "expected intent greet, got ask_who_is_calling" in out
    assert "智能客服" in out  # the bot said who is calling


def test_interactive_chat_shows_state_intent_confidence_faq_and_actions(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("hello? who's this?\nsorry, wrong number\n"))
    assert main(["chat", str(PLANS / "outbound_marketing_en.yaml")]) == 0
    out = capsys.readouterr().out
    assert "intent=ask_who_is_calling" in out and "virtual assistant" in out
    assert "intent=wrong_number" in out and "hang_up(wrong_number)" in out and "tag_customer(wrong_number, do_not_call)" in out
    assert "(call ended)" in out


def test_faq_ask_answers_and_declines_with_a_reason(capsys):
    assert main(["faq", "ask", str(PLANS / "outbound_marketing_zh.yaml"), "滤网多久换一次"]) == 0
    assert "answer (entry filter_life" in capsys.readouterr().out
    assert main(["faq", "ask", str(PLANS / "outbound_marketing_en.yaml"), "do you sell televisions?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("declined: ") and "reason: " in out
    assert main(["faq", "ask", str(PLANS / "outbound_marketing_en.yaml"), "how much is it"]) == 0
    assert "intent 'ask_price'" in capsys.readouterr().out


def test_script_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "s.txt"
    bad.write_text("好的\n! segment\n", encoding="utf-8")
    with pytest.raises(VoicebotError, match=r"s.txt:2: customer fields"):
        read_script(bad)
    bad.write_text(" => affirm\n", encoding="utf-8")
    with pytest.raises(VoicebotError, match=r"s.txt:1: "):
        read_script(bad)
