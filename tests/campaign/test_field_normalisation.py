"""Segments that do not silently lie (#21 item 5): 出生年月 197003 becomes an age, cities one
canonical name with their province, 去年双十一 a date, and a rule naming a field the import never
had is an error naming it. Through the real importer and a real redis-server."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from voicebot.campaign.campaign import Campaign
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.importer import import_customers
from voicebot.campaign.mapping import load_mapping
from voicebot.campaign.normalise import normalise_city, parse_birth, shopping_day
from voicebot.campaign.rules import RuleError

TODAY = date(2026, 3, 3)


@pytest.mark.parametrize("text,iso,age", [("197003", "1970-03", 56), ("1990年7月", "1990-07", 35),
                                          ("1995-03", "1995-03", 31), ("19900815", "1990-08-15", 35)])
def test_birth_month_to_age(text, iso, age):
    birth = parse_birth(text, TODAY)
    assert birth.iso == iso and birth.age(TODAY) == age


def test_birth_refuses_what_is_not_one():
    with pytest.raises(ValueError, match="not a birth date"):
        parse_birth("203001", TODAY)


@pytest.mark.parametrize("text,city,province", [("杭州市", "杭州", "浙江省"), ("浙江杭州", "杭州", "浙江省"),
                                                ("上海市浦东新区", "上海", "上海市"), ("上海", "上海", "上海市"),
                                                ("苏州", "苏州", "江苏省")])
def test_cities_to_one_canonical_name(text, city, province):
    place = normalise_city(text)
    assert (place.city, place.province) == (city, province)


@pytest.mark.parametrize("text,day", [("去年双十一", date(2025, 11, 11)), ("618", date(2025, 6, 18)),
                                      ("今年元旦", date(2026, 1, 1)), ("双12", date(2025, 12, 12)),
                                      ("上周", None), ("2025-11-11", None)])
def test_named_shopping_days(text, day):
    assert shopping_day(text, TODAY) == day


ROWS = [("13900000001", "王一", "197003", "杭州市", "去年双十一", "23000"),
        ("13900000002", "王二", "199507", "浙江杭州", "2026-02-01", "800"),
        ("13900000003", "王三", "1998年1月", "上海市浦东新区", "618", "1200"),
        ("13900000004", "王四", "198811", "北京", "2025-12-01", "300")]


def _import(redis_client, tmp_path, header=("手机号", "姓名", "出生年月", "所在城市", "最近购买时间", "累计消费")):
    path = tmp_path / "crm.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in ROWS:
            w.writerow(row[:len(header)])
    camp = Campaign(redis_client, "norm")
    camp.create(locale="zh-CN")
    report = import_customers(redis_client, path, load_mapping(None), campaign="norm")
    return camp, report


def test_import_normalises_and_rules_count_right(redis_client, tmp_path, clock, cfg):
    camp, report = _import(redis_client, tmp_path)
    assert not [w for w in report.warnings if "no day given" in w.reason]  # 出生年月 floods no warnings
    by_name = {c["name"]: c for c in CustomerStore(redis_client).get_many(report.customer_ids)}
    assert by_name["王一"]["birthday"] == "1970-03" and int(by_name["王一"]["age"]) >= 56
    assert by_name["王一"]["last_purchase_at"] == "2025-11-11"  # 去年双十一
    assert by_name["王三"]["city"] == "上海" and by_name["王三"]["province"] == "上海市"
    assert by_name["王二"]["city"] == "杭州" and by_name["王二"]["province"] == "浙江省"
    rules = tmp_path / "rules.yaml"
    rules.write_text("default: other\nsegments:\n  - name: young_east\n    when: '年龄 < 35 and 所在城市 in [\"杭州市\", \"上海\"]'\n"
                     "  - name: east\n    when: '所在城市 in [\"杭州\", \"上海\"]'\n", encoding="utf-8")
    camp.set_segment_rules(str(rules))
    summary = camp.segment_summary(clock, cfg)["segments"]
    counts = {name: seg["count"] for name, seg in summary.items()}
    assert counts.get("young_east") == 2 and counts.get("east") == 1 and counts.get("other") == 1, summary


def test_a_rule_on_a_field_the_import_never_had_is_an_error(redis_client, tmp_path):
    camp, _ = _import(redis_client, tmp_path, header=("手机号", "姓名", "所在城市"))
    rules = tmp_path / "rules.yaml"
    rules.write_text("default: other\nsegments:\n  - name: young\n    when: 年龄 < 35\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"rules.yaml:4: segment 'young': field '年龄' \(age.*not in this campaign"):
        camp.set_segment_rules(str(rules))


def test_a_second_campaign_counts_its_customers_as_new_to_it(redis_client, tmp_path):
    _camp, first = _import(redis_client, tmp_path)
    Campaign(redis_client, "second").create(locale="zh-CN")
    second = import_customers(redis_client, tmp_path / "crm.csv", load_mapping(None), campaign="second")
    assert first.new_to_campaign == 4 and second.new_to_campaign == 4  # the manager's "new 4"
    assert second.new_customers == 0 and second.updated_customers == 4  # the shared store's view
