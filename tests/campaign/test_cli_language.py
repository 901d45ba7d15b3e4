"""What the campaign and DNC commands tell a person, in the campaign's language or LANG's: one
table (cli_messages) for both; JSON on stdout stays as it is for scripts."""

from __future__ import annotations

import json

import pytest
import structlog
from campaign_data import write_customers

from voicebot.campaign.cli_messages import MESSAGES
from voicebot.cli import main


@pytest.fixture(autouse=True)
def _store(redis_server, redis_client, monkeypatch):
    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    monkeypatch.setenv("VOICEBOT_LOGGING__LEVEL", "WARNING")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    yield
    structlog.reset_defaults()


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_message_has_both_languages_with_the_same_fields():
    import string

    for key, row in MESSAGES.items():
        assert set(row) == {"en", "zh"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(row[lang]) if f} for lang in ("en", "zh")]
        assert {f.split("!")[0] for f in fields[0]} == {f.split("!")[0] for f in fields[1]}, key
        assert any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in row["zh"]) or row["zh"] == row["en"], key


def test_a_chinese_campaign_is_told_in_chinese(tmp_path, capsys):
    code, out, err = _run(capsys, "campaign", "create", "门店回访")  # zh-CN is the default locale
    assert code == 0 and "活动「门店回访」已创建" in err and json.loads(out)["status"] == "created"
    code, _, err = _run(capsys, "campaign", "hours", "门店回访", "--start", "10:00", "--end", "20:30")
    assert code == 0 and "拨打时间：10:00–20:30" in err
    code, _, err = _run(capsys, "campaign", "hours", "门店回访", "--start", "9点")
    assert code == 1 and "请同时给出 --start 和 --end" in err
    code, _, err = _run(capsys, "campaign", "hours", "门店回访", "--start", "9点", "--end", "18:00")
    assert code == 1 and "「9点」不是时间，请写成 HH:MM" in err
    code, _, err = _run(capsys, "campaign", "hours", "门店回访", "--start", "20:00", "--end", "09:00")
    assert code == 1 and "开始时间必须早于结束时间" in err
    code, _, err = _run(capsys, "campaign", "start", "门店回访")
    assert code == 1 and "还没有客户" in err and "voicebot campaign import 门店回访" in err
    code, _, err = _run(capsys, "campaign", "create", "门店回访")
    assert code == 1 and "活动「门店回访」已经存在" in err

    write_customers(tmp_path / "c.csv", ["interested", "not_interested"])
    code, out, _ = _run(capsys, "campaign", "import", "门店回访", str(tmp_path / "c.csv"))
    assert code == 0 and "已导入 2 行" in out
    code, _, err = _run(capsys, "campaign", "pause", "门店回访")
    assert code == 0 and "活动「门店回访」已暂停" in err
    code, out, err = _run(capsys, "campaign", "status", "门店回访")
    assert code == 0 and "活动「门店回访」：已暂停；客户 2 人" in err and json.loads(out)["status"] == "paused"
    code, _, err = _run(capsys, "campaign", "resume", "门店回访")
    assert code == 0 and "已恢复拨打" in err
    code, _, err = _run(capsys, "campaign", "plan", "门店回访")
    assert code == 0 and "已为 2 位客户制定拨打计划" in err
    code, out, err = _run(capsys, "campaign", "segments", "门店回访", "--examples", "0")
    assert code == 0 and "共 2 位客户，分群规则来自" in out and " 人（" in out
    code, _, err = _run(capsys, "campaign", "import", "门店回访", str(tmp_path / "没有这个文件.csv"))
    assert code == 1 and "找不到文件" in err and "does not exist" not in err


def test_an_english_campaign_is_told_in_english_unless_lang_is_zh(tmp_path, capsys, monkeypatch):
    code, _, err = _run(capsys, "campaign", "create", "spring", "--locale", "en-US")
    assert code == 0 and "campaign 'spring' created" in err
    code, _, err = _run(capsys, "campaign", "hours", "spring", "--start", "20:00", "--end", "09:00")
    assert code == 1 and "the start must be before the end" in err
    code, _, err = _run(capsys, "campaign", "status", "no-such")
    assert code == 1 and "campaign 'no-such' does not exist" in err
    code, _, err = _run(capsys, "campaign", "start", "spring", "--simulated-start", "2026-03-03T09:00:00+08:00")
    assert code == 1 and "has no customers" in err
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # the shell's language wins for the person reading it
    code, _, err = _run(capsys, "campaign", "status", "no-such")
    assert code == 1 and "活动「no-such」不存在" in err


def test_dnc_commands_in_both_languages(tmp_path, capsys, monkeypatch):
    (tmp_path / "退订.csv").write_text("手机号\n138****5678\n13700003333\n", encoding="utf-8")
    code, out, err = _run(capsys, "dnc", "import", str(tmp_path / "退订.csv"))
    assert code == 0 and json.loads(out)["added"] == 1
    assert "skipped: line 2: '138****5678': '138****5678' is masked" in err and "1 numbers read: 1 added" in err
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    code, _, err = _run(capsys, "dnc", "import", str(tmp_path / "退订.csv"))
    assert "已跳过：第 2 行「138****5678」：号码「138****5678」被打码" in err and "原本就在名单中 1 个" in err
    code, _, err = _run(capsys, "dnc", "add", "12345", "13900001111")
    assert code == 1 and "「12345」不是电话号码" in err and "已加入 1 个" in err
    code, _, err = _run(capsys, "dnc", "list")
    assert "免打扰名单共 2 个号码" in err


def test_a_bad_segment_rule_is_named_in_chinese_with_its_file_and_line(tmp_path, capsys):
    """Segment-rule faults (file:line, column) come from the same table as every other message."""
    _run(capsys, "campaign", "create", "会员回访")
    write_customers(tmp_path / "c.csv", ["interested", "not_interested"])
    _run(capsys, "campaign", "import", "会员回访", str(tmp_path / "c.csv"))
    rules = tmp_path / "分群.yaml"
    rules.write_text("segments:\n  - name: 老客户\n    when: 累计消费 >= \n  - name: 老客户\n    when: 1 > 0\n"
                     "default: 新客户\n", encoding="utf-8")
    code, _, err = _run(capsys, "campaign", "segments", "会员回访", "--rules", str(rules))
    assert code == 1 and f"{rules}:3：分群「老客户」：第 " in err and "列应为一个值" in err, err
    rules.write_text("segments:\n  - name: 大客户\n    when: 爱好 == \"钓鱼\"\ndefault: 新客户\n",
                     encoding="utf-8")
    code, _, err = _run(capsys, "campaign", "segments", "会员回访", "--rules", str(rules))
    assert code == 1 and "分群「大客户」" in err and "爱好" in err and "unknown field" not in err, err
