"""The everyday-intent library a plan inherits (extend / override / fallback / exclude, the plan's
labels win) and the lint for the traps of plan authors (voicebot/dialogue/plan_traps.py)."""

from __future__ import annotations

from pathlib import Path

from voicebot.dialogue.everyday import load_library
from voicebot.dialogue.nlu.base import IntentResult
from voicebot.dialogue.plan import load_dialplan
from voicebot.dialogue.plan_traps import is_question, lint_traps, negation

PLAN = """\
name: tiny
locale: zh-CN
start: hello
segments:
  default: {offer: none}
no_match: 没听清
no_input: 喂？
on_exhausted: bye
escalation:
  say: 稍等
  summary: "客户{name}：{reason}"
  no_agent: 没人
global:
  ask_who_is_calling: {say: 我是小安, reprompt: true}
intents:
  affirm: [对，我就是车主]
  deny: [不是, 不对, 没有]
  renew: [我要续保, 帮我续上, 续一年]
states:
  hello:
    say: 请问是车主吗？
    on: {affirm: bye, deny: bye, renew: bye}
  bye:
    say: 再见
    actions: [hang_up]
"""


GLOBAL = "global:\n  ask_who_is_calling: {say: 我是小安, reprompt: true}\n"
NO_LIBRARY = PLAN.replace(GLOBAL, "").replace("intents:\n", "everyday: {enabled: false}\nintents:\n")


def _plan(tmp_path: Path, text: str = PLAN):
    p = tmp_path / "plan.yaml"
    p.write_text(text, encoding="utf-8")
    return load_dialplan(str(p)), p


def test_library_ships_many_examples_per_intent_and_irreversible_ones_have_30_plus():
    for locale in ("zh-CN", "en-US"):
        lib = load_library(locale)
        assert len(lib.intents) == 17
        assert all(len(i.examples) >= 45 for i in lib.intents.values()), locale
        assert all(len(lib.intents[n].examples) >= 30 for n in ("wrong_number", "stop_calling", "not_interested"))


def test_extend_fallback_and_the_plans_own_labels(tmp_path):
    plan, _ = _plan(tmp_path)
    inh = plan.inheritance
    # extend: the plan's example first, then the library's
    assert plan.examples["affirm"][0] == "对，我就是车主" and inh.intents["affirm"].mode == "extended"
    assert len(plan.examples["affirm"]) > 40
    # fallback: not handled, so robot / number questions join ask_who_is_calling, which the plan handles
    assert set(inh.intents["ask_who_is_calling"].sources) == {"ask_who_is_calling", "ask_robot", "ask_number_source"}
    assert "ask_robot" not in plan.examples and "你是机器人吗" in plan.examples["ask_who_is_calling"]
    # no fallback the plan knows: an intent of its own, listed as not handled
    assert inh.intents["complaint"].mode == "inherited" and not inh.intents["complaint"].handled
    # the plan labels 没有 as deny: the library never relabels that text
    assert all(t != "没有" for n, exs in plan.examples.items() if n != "deny" for t in exs)
    # file:line of an inherited example is the library's
    f, line = plan.example_location("affirm", 1)
    assert f.endswith("everyday/zh.yaml") and line > 1


def test_override_and_exclude(tmp_path):
    text = PLAN.replace("  affirm: [对，我就是车主]", "  affirm: {override: true, examples: [对，我就是车主, 是我, 对的]}")
    text = text.replace("intents:\n", "everyday: {exclude: [ask_robot]}\nintents:\n")
    plan, _ = _plan(tmp_path, text)
    assert plan.examples["affirm"] == ["对，我就是车主", "是我", "对的"]
    assert plan.inheritance.intents["affirm"].mode == "overridden"
    assert "ask_robot" not in plan.inheritance.intents["ask_who_is_calling"].sources
    off, _ = _plan(tmp_path, NO_LIBRARY)
    assert set(off.examples) == {"affirm", "deny", "renew"} and not off.inheritance.source


def test_traps_are_reported_with_file_and_line(tmp_path):
    text = PLAN.replace("  deny: [不是, 不对, 没有]", "  deny: [不是, 不对, 没有, 不对]")
    text = text.replace("  affirm: [对，我就是车主]", "  greet: [喂, 喂？哪位啊, 你好]\n  affirm: [是我, 对的, 嗯]")
    text = text.replace("    on: {affirm: bye,", "    on: {greet: bye, affirm: bye,")
    text = text.replace("intents:\n", "nlu: {threshold: 0.5}\nintents:\n")
    text = text.replace("  renew: [我要续保, 帮我续上, 续一年]",
                        "  renew: [我要续保, 帮我续上, 续一年]\n  wrong_number: [打错了, 我不是车主, 你找错人了]")
    text = text.replace("everyday: {exclude: [ask_robot]}\n", "")
    text = text.replace(GLOBAL, "").replace("intents:\n", "everyday: {enabled: false}\nintents:\n", 1)
    text = text.replace("    on: {greet: bye,", "    on: {wrong_number: bye, greet: bye,")
    plan, path = _plan(tmp_path, text)
    lines = text.splitlines()

    def line_of(s: str) -> int:
        return next(i for i, x in enumerate(lines, 1) if s in x)

    # a classifier that does not hear the negation: 对，我就是车主 and 我不是车主 both "wrong_number"
    fake = lambda t: IntentResult("wrong_number" if "车主" in t else "deny", 0.9)  # noqa: E731
    found = [str(f) for f in lint_traps(plan, fake)]
    assert f"{path}:{line_of('deny: [')}: warning: example '不对' is already an example of 'deny'" in "\n".join(found)
    assert any(f.startswith(f"{path}:{line_of('greet: [')}:") and "'喂？哪位啊' of 'greet' is a question" in f for f in found)
    assert any(f.startswith(f"{path}:{line_of('threshold')}:") and "nlu.threshold 0.5 is set by hand" in f for f in found)
    assert any("intent 'wrong_number' ends the call" in f and "3 examples" in f for f in found)
    assert any("negation probe: '我不是车主' and its negation '对，我就是车主' are both classified 'wrong_number'" in f
               and f.startswith(f"{path}:{line_of('wrong_number: [')}:") for f in found)


def test_question_and_negation_helpers():
    assert is_question("喂？哪位啊", "zh-CN") and is_question("hello? who's this?", "en-US")
    assert not is_question("喂听得到吗", "zh-CN") and not is_question("hey how are you", "en-US")
    assert negation("对，我就是车主", "zh-CN") == "我不是车主" and negation("我不是车主", "zh-CN") == "对，我就是车主"
    assert negation("yes that's me", "en-US") == "no that is not me" and negation("我要投诉", "zh-CN") is None


def test_faq_not_answered_example_and_confirm_never_are_traps(tmp_path):
    (tmp_path / "faq.yaml").write_text("locale: zh-CN\ndecline: 这个我回答不了\nnot_answered_examples:\n  - 续一年\n"
                                       "  - 你们卖电视吗\nentries:\n  - id: price\n    questions: [多少钱, 价格是多少]\n"
                                       "    answer: 一百元\n", encoding="utf-8")
    text = NO_LIBRARY.replace("intents:\n", "faq: faq.yaml\nconfirm:\n  intents:\n    renew: {never: true}\nintents:\n", 1)
    plan, path = _plan(tmp_path, text)
    found = [str(f) for f in lint_traps(plan, None)]
    faq_line = 4  # the not_answered example 续一年 in faq.yaml
    renew_line = next(i for i, x in enumerate(text.splitlines(), 1) if x.startswith("  renew: ["))
    assert f"{tmp_path / 'faq.yaml'}:{faq_line}: warning: '续一年' is in the FAQ's not_answered_examples and is an " \
           f"example of intent 'renew' ({path}:{renew_line}): one of the two is wrong" in found, found
    never_line = next(i for i, x in enumerate(text.splitlines(), 1) if "renew: {never: true}" in x)
    assert any(f.startswith(f"{path}:{never_line}: warning: confirm.intents.renew: never: the engine will not ask back "
                            "before 'renew' closes a customer") for f in found), found
    assert any("intent 'renew' ends the call or tags the number and has 3 examples" in f for f in found), found
    assert len(found) == 3, found
