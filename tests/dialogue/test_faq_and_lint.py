"""Knowledge-base (FAQ) answers in the dialogue runtime, the training-data lint of ``dialplan check``,
``nlu evaluate``, the embedding cache and the per-campaign list of unanswered questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from voicebot.cli import main as cli
from voicebot.config import Settings
from voicebot.dialogue.base import CallInfo, Say, UserTurn
from voicebot.dialogue.factory import PlanDialogueFactory
from voicebot.dialogue.nlu.base import FAQ_INTENT, OUT_OF_SCOPE
from voicebot.dialogue.plan import DialplanError, load_dialplan

ROOT = Path(__file__).resolve().parents[2]
EN_PLAN = ROOT / "dialplans/outbound_marketing_en.yaml"


@pytest.fixture(scope="module")
def cache_dir() -> Path:
    # The session's private cache (tests/conftest.py), not a folder of this module's own: the sample
    # plans' classifiers trained by any test of the session are reused here, not retrained.
    return Path(Settings().paths.cache_dir)


@pytest.fixture(scope="module")
def settings(cache_dir) -> Settings:
    s = Settings()
    s.paths.cache_dir = cache_dir
    s.dialogue.plan = str(ROOT / "dialplans")
    return s


@pytest.fixture(scope="module")
def factory(settings) -> PlanDialogueFactory:
    return PlanDialogueFactory(settings)


@pytest.fixture
def config_file(tmp_path, cache_dir, monkeypatch) -> Path:
    """The CLI reads its settings from a temp file, never from the user's."""
    path = tmp_path / "voicebot.toml"
    path.write_text(f'[paths]\ncache_dir = "{cache_dir}"\n', encoding="utf-8")
    monkeypatch.setenv("VOICEBOT_CONFIG", str(path))
    return path


def said(actions) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def turn(d, text: str) -> list[str]:
    return said(d.on_user_turn(UserTurn(text, 0.9, 1.0, 2.5, None)))


def test_zh_faq_answered_mid_pitch_then_the_script_resumes(factory):
    info = CallInfo("faq-zh", "outbound", "sip:x@y", "zh-CN", {"name": "王先生", "dialplan": "outbound_marketing"})
    d = factory.new_dialogue(info)
    d.start(info)
    turn(d, "对，是我")
    pitch = turn(d, "可以，你说吧")
    assert d.state == "pitch" and "清风三代空气净化器" in pitch[-1]
    lines = turn(d, "嗯，那个，这个净化器适合多大的房间？")
    assert "二十到六十平方米" in lines[0], lines  # the FAQ answer ...
    assert lines[-1] == pitch[-1] and d.state == "pitch"  # ... then the pitch question again
    lines = turn(d, "你们有没有卖扫地机器人")  # not in the FAQ: said politely, and the script goes on
    assert "回答不了" in lines[0] and lines[-1] == pitch[-1] and d.state == "pitch"
    turn(d, "好啊，你详细讲讲")
    assert d.state == "details"
    out = d.outcome()
    assert out["faq_answered"] == ["room_size"]
    assert out["unanswered_questions"] == ["你们有没有卖扫地机器人"]
    assert out["final_state"] == "details" and out["escalation"] == ""


def test_en_faq_answer_and_intents_keep_their_meaning(factory):
    info = CallInfo("faq-en", "outbound", "sip:x@y", "en-US", {"name": "Mr Smith"})
    d = factory.new_dialogue(info)
    d.start(info)
    turn(d, "yes speaking")
    lines = turn(d, "uh, how long is the warranty?")  # asked in the intro: answered, intro asked again
    assert "two-year warranty" in lines[0] and d.state == "intro"
    lp = factory.select("", "en-US")
    assert lp.nlu.parse("how much does it cost").intent == "ask_price"  # the script's intent, not the FAQ
    assert lp.nlu.parse("how much is a new filter").intent == FAQ_INTENT
    assert lp.nlu.parse("what's the weather like in Paris").intent == OUT_OF_SCOPE
    # The greet defect is gone: a wrong-number sentence is no greeting.
    assert lp.nlu.parse("you are looking for somebody else").intent == "wrong_number"


def test_a_statement_put_out_of_scope_needs_a_clearer_faq_match_than_a_question(factory):
    lp = factory.select("", "en-US")
    faq = lp.faq
    # "shop" is a word of the store entry's phrasings; said as a statement, it is small talk.
    assert faq.retriever.match("we have a shop near us").score >= faq.retriever.min_score
    assert faq.reply("we have a shop near us", OUT_OF_SCOPE) is None
    reply = faq.reply("is there a shop near me where I can see it?", OUT_OF_SCOPE)
    assert reply is not None and reply.answered and reply.entry_id == "store"


def _copy_plan(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "dialplans/faq", tmp_path / "faq")
    path = tmp_path / "plan.yaml"
    path.write_text(EN_PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_dialplan_check_flags_a_misplaced_example_with_file_and_line(tmp_path, config_file, capsys):
    path = _copy_plan(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    intents = lines.index("intents:")
    at = next(i for i, line in enumerate(lines) if i > intents and line == "  affirm:")
    # A complaint pasted into the examples of `affirm`, on its own line.
    lines.insert(at + 1, "    examples: [my order never came and your support ignored my emails,")
    lines[at + 2] = lines[at + 2].replace("examples: [", "               ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli(["dialplan", "check", str(path)]) == 0  # warnings only
    err = capsys.readouterr().err
    expected = f"{path}:{at + 2}: warning: example 'my order never came and your support ignored my emails' " \
               f"of intent 'affirm' is nearer to intent 'complaint'"
    assert expected in err, err
    assert cli(["dialplan", "check", "--strict", str(path)]) == 1


def test_dialplan_check_lint_duplicates_small_and_unhandled_intents(tmp_path, config_file, capsys):
    path = _copy_plan(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("examples: [I want to buy it,", "examples: [how much does it cost., I want to buy it,", 1)
    text = text.replace("  goodbye:\n", "  thanks_only:\n    examples: [thank you, thanks a lot, cheers mate]\n  goodbye:\n", 1)
    path.write_text(text, encoding="utf-8")
    assert cli(["dialplan", "check", str(path)]) == 1  # the same example in two intents is an error
    err = capsys.readouterr().err
    assert "error: example 'how much does it cost' (ask_price) is the same as 'how much does it cost.' (want_to_buy, line" in err, err
    assert "intent 'thanks_only' has 3 examples; under 15" in err
    assert "intent 'thanks_only' is trained but no state or global transition handles it" in err
    assert all(line.startswith(f"{path}:") or line.startswith(str(tmp_path / "faq")) for line in err.splitlines()
               if "warning" in line or "error" in line)


def test_faq_file_problems_name_file_and_line(tmp_path):
    path = _copy_plan(tmp_path)
    faq = tmp_path / "faq/en.yaml"
    text = faq.read_text(encoding="utf-8").replace("  - id: colors\n", "  - id: noise\n", 1)
    faq.write_text(text, encoding="utf-8")
    with pytest.raises(DialplanError) as exc:
        load_dialplan(path)
    line = [i for i, s in enumerate(text.splitlines(), 1) if s == "  - id: noise"][-1]  # the second one
    assert f"{faq}:{line}: entries." in str(exc.value) and "duplicate id 'noise'" in str(exc.value)
    path.write_text(path.read_text(encoding="utf-8").replace("faq: faq/en.yaml", "faq: faq/missing.yaml"), encoding="utf-8")
    with pytest.raises(DialplanError, match=r"plan.yaml:\d+: faq: no such FAQ file"):
        load_dialplan(path)


def test_nlu_evaluate_with_a_test_file_and_leave_one_out(tmp_path, config_file, capsys):
    test = tmp_path / "t.tsv"
    test.write_text("how much is it\task_price\nyes that's me\taffirm\ncan you book me a taxi\tout_of_scope\n"
                    "how often do I swap filters\tfaq:filter_life\n", encoding="utf-8")
    assert cli(["nlu", "evaluate", "--dialplan", str(EN_PLAN), "--test", str(test), "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "test file: 4 utterances, top-1 100.0%" in out, out
    assert "confusion matrix" in out and "faq:filter_life" in out
    # Leave-one-out on a small plan (one fit per example).
    small = tmp_path / "small.yaml"
    small.write_text(_small_plan(), encoding="utf-8")
    assert cli(["nlu", "evaluate", "--dialplan", str(small)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("leave-one-out: 24 utterances") and "out-of-scope false-accept" in out, out
    bad = tmp_path / "bad.tsv"
    bad.write_text("hello\tno_such_intent\n", encoding="utf-8")
    assert cli(["nlu", "evaluate", "--dialplan", str(EN_PLAN), "--test", str(bad)]) == 1
    assert f"{bad}:1: unknown intent 'no_such_intent'" in capsys.readouterr().err


def _small_plan() -> str:
    return """name: small
locale: en-US
start: ask
segments: {default: {}}
intents:
  affirm: ['yes', yeah sure, okay, of course, sounds good, yes please, alright, fine by me]
  deny: ['no', no thanks, not really, nope, I don't think so, no way, not at all, no I'm fine]
out_of_scope_examples: [what's the weather, play some music, book a taxi, tell me a joke, what time is it,
                        who won the game, my cat is sick, how do I get to the station]
no_match: Sorry?
no_input: Hello?
on_exhausted: bye
escalation: {say: One moment., summary: "{reason}", no_agent: Nobody is free.}
states:
  ask:
    say: Shall we?
    on: {affirm: bye, deny: bye}
  bye:
    say: Bye.
    actions: [hang_up]
"""


def test_embeddings_are_cached_by_text_hash(tmp_path):
    from voicebot.dialogue.nlu.encoder import CachedEncoder, UseEncoder

    enc = UseEncoder()
    first = CachedEncoder(enc, tmp_path / "nlu/use-m3.npz")
    a = first.encode(["多少钱啊", "how much is it"])
    first.save()
    assert (tmp_path / "nlu/use-m3.npz").is_file()

    class Refuses:
        name, dim = enc.name, enc.dim

        def encode(self, texts):
            raise AssertionError(f"not cached: {texts}")

    again = CachedEncoder(Refuses(), tmp_path / "nlu/use-m3.npz")  # a new process: read from disk
    b = again.encode(["how much is it", "多少钱啊"])
    assert (a[::-1] == b).all()
    live = first.encode(["a live utterance"], remember=False)
    assert live.shape == (1, 512) and len(first._mem) == 2


def test_unanswered_questions_are_counted_per_campaign(redis_client):
    from voicebot.dialogue.faq_misses import record_unanswered, unanswered_questions

    pipe = redis_client.pipeline()
    record_unanswered(pipe, "spring", ["你们还卖扫地机器人吗", "能放在浴室里用吗"])
    record_unanswered(pipe, "spring", ["你们还卖扫地机器人吗？"])  # the same question, other punctuation
    record_unanswered(pipe, "autumn", ["do you sell robot vacuums"])
    pipe.execute()
    got = unanswered_questions(redis_client, "spring")
    assert [(q.text, q.count) for q in got] == [("你们还卖扫地机器人吗", 2), ("能放在浴室里用吗", 1)]
    assert [q.text for q in unanswered_questions(redis_client, "autumn")] == ["do you sell robot vacuums"]
    assert unanswered_questions(redis_client, "nobody") == []


def test_call_outcome_carries_unanswered_questions_to_the_campaign_result():
    from voicebot.campaign.dialer import CallResult

    res = CallResult.from_outcome({"answered_by": "human", "turns": 4, "unanswered_questions": ["能放在浴室里用吗"],
                                   "faq_answered": ["noise"]})
    assert res.unanswered_questions == ["能放在浴室里用吗"]
    assert CallResult.from_dict(res.to_dict()).unanswered_questions == ["能放在浴室里用吗"]


def test_calibration_weighs_outside_questions_and_margins():
    """Outside questions scoring as high as inside ones, but nearer a not-answered question: the
    calibrated rule declines them through the margin, not by turning inside questions away."""
    import numpy as np

    from voicebot.dialogue.faq_decision import Candidates, calibrate_decision

    inside = Candidates(np.array([0.9, 0.85, 0.8, 0.75]), np.array([True, True, True, False]),
                        np.array([0.5, 0.5, 0.4, 0.5]), np.array([0.6, 0.6, 0.5, 0.74]))
    outside = Candidates(np.array([0.9, 0.8]), np.zeros(2, bool), np.array([0.95, 0.85]), np.array([0.5, 0.5]))
    d = calibrate_decision(inside, outside)
    assert [d.accepts(s, n, sec) for s, n, sec in zip(inside.score, inside.negative, inside.second)] == \
        [True, True, True, False]  # the last is the wrong entry by a hair: declined
    assert not any(d.accepts(s, n, sec) for s, n, sec in zip(outside.score, outside.negative, outside.second))


def test_near_miss_declined_and_a_question_after_scene_setting_answered(factory):
    faq = factory.select("", "en-US").faq
    # "do you ship overseas" is a not-answered example: shipping abroad is not the shipping_fee entry
    reply = faq.reply("do you ship to japan", FAQ_INTENT)
    assert reply is not None and not reply.answered
    assert faq.retriever.match("my son has bad allergies, does it catch pollen").entry_id == "pm25"
    zh = factory.select("", "zh-CN").faq
    assert zh.retriever.match("我家孩子有鼻炎，开着对花粉有用吗").entry_id == "pm25"
