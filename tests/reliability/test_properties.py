"""Property-based tests: the parsers that read what people and peers send (CRM cells, phone
numbers, segment rules, dialplans) never fail in any way but the one they document."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings, strategies as st

from voicebot.campaign import freeform
from voicebot.campaign.phones import PhoneError, normalise_phone
from voicebot.campaign.rules import RuleError, parse as parse_rule
from voicebot.dialogue.plan import load_dialplan
from voicebot.errors import VoicebotError

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# What real cells hold: digits, Chinese numerals and units, currency, punctuation, letters.
CELL_CHARS = string.digits + string.ascii_letters + " .,-/:：年月日号点半上下午晚早周末工作元万千百十零一二两三四五六七八九￥$%次岁是否男女"
cells = st.one_of(st.text(alphabet=CELL_CHARS, max_size=20), st.text(max_size=20))

DIGITS_CN = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """The test's own oracle for 1..99999 (standard reading, 零 for skipped places)."""
    if n == 0:
        return "零"
    units = [(10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")]
    out, zero = "", False
    started = False
    for value, unit in units:
        d, n = divmod(n, value)
        if d:
            if zero:
                out += "零"
            out += ("" if (unit == "十" and d == 1 and not started) else DIGITS_CN[d]) + unit
            started, zero = True, False
        elif started:
            zero = True
    return out


@FAST
@given(cells)
def test_free_form_parsers_raise_only_value_errors(text):
    for parse in (freeform.amount, freeform.count, freeform.parse_date, freeform.parse_contact_time,
                  freeform.parse_yes_no, freeform.parse_gender, freeform.parse_share, freeform.chinese_number):
        try:
            parse(text)
        except ValueError:
            pass


@FAST
@given(st.integers(min_value=0, max_value=10**8))
def test_amounts_as_people_write_them(n):
    assert freeform.amount(str(n)) == n
    assert freeform.amount(f"￥{n:,}") == n
    assert freeform.amount(f"{n}元") == n
    assert freeform.amount(f"RMB {n}") == n


@FAST
@given(st.integers(min_value=1, max_value=99999))
def test_chinese_numerals(n):
    assert freeform.chinese_number(to_chinese(n)) == n, to_chinese(n)


@FAST
@given(st.sampled_from("3456789"), st.text(alphabet=string.digits, min_size=9, max_size=9),
       st.sampled_from(["{}", "+86{}", "0086{}", "+86 {a} {b} {c}", "{a}-{b}-{c}", "{a} {b} {c}", "（+86）{a}-{b}{c}"]))
def test_chinese_mobiles_in_any_layout_normalise_to_one_number(second, rest, layout):
    number = "1" + second + rest
    a, b, c = number[:3], number[3:7], number[7:]
    text = layout.format(number, a=a, b=b, c=c)
    try:
        e164 = normalise_phone(text)
    except PhoneError:
        # An unassigned prefix is refused, whatever its layout.
        try:
            normalise_phone(number)
        except PhoneError:
            return
        raise
    assert e164 == "+86" + number


@FAST
@given(cells)
def test_phone_parser_raises_only_phone_errors(text):
    try:
        normalise_phone(text)
    except PhoneError:
        pass


RULE_CHARS = string.ascii_letters + string.digits + " ()<>=!.,'\"_+-*/" + "城市年龄消费上海"


@FAST
@given(st.one_of(st.text(alphabet=RULE_CHARS, max_size=40), st.text(max_size=30)))
def test_segment_rules_fail_only_with_rule_errors(text):
    try:
        parse_rule(text)
    except RuleError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_dialplans_give_a_dialplan_error_not_a_crash(tmp_path_factory, data):
    """Lines of a real plan deleted, duplicated or swapped: loading fails cleanly or works."""
    source = (__import__("pathlib").Path(__file__).parents[2] / "dialplans" / "outbound_marketing_zh.yaml")
    lines = source.read_text(encoding="utf-8").splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(0, len(lines) - 1))
    op = data.draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "dedent"]))
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[j])
    elif op == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "truncate":
        lines[i] = lines[i][: len(lines[i]) // 2]
    else:
        lines[i] = lines[i].lstrip()
    path = tmp_path_factory.mktemp("plan") / "plan.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        load_dialplan(path)
    except VoicebotError as exc:
        assert "plan.yaml" in str(exc), exc  # the message names the file (and line)
