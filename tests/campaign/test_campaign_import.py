"""Customer import: bad rows reported with line/column/reason, good rows kept, nothing lost on re-import."""

from __future__ import annotations

import json

import openpyxl
import pytest

from voicebot.campaign import keys
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.importer import ImportFileError, import_customers
from voicebot.campaign.mapping import MappingError, load_mapping
from voicebot.campaign.phones import PhoneError, normalise_phone

MAPPING = """
columns:
  phone: 手机号
  name: 姓名
  orders_12m: 订单数
  spend_12m: 消费金额
  last_purchase_at: 最近购买
  tags: 标签
region: CN
"""

CSV = """手机号,姓名,订单数,消费金额,最近购买,标签,来源
138 1234 5678,张三,3,"1,200.50",2026-01-05,vip,CRM
010-62345678,李四,1,300,2026/02/01,,订单系统
12345,王五,2,100,2026-01-01,,CRM
13900001111,赵六,two,100,2026-13-01,,CRM
,钱七,1,100,2026-01-01,,CRM
+86 138-1234-5678,张三,5,,,new;vip,网站日志
0755-86013388,孙八,0,0,,,CRM
"""


@pytest.mark.parametrize("raw,expected", [
    ("13812345678", "+8613812345678"),
    ("138 1234 5678", "+8613812345678"),
    ("+86 138-1234-5678", "+8613812345678"),
    ("008613812345678", "+8613812345678"),
    ("8613812345678.0", "+8613812345678"),
    ("010-62345678", "+861062345678"),
    ("0755-86013388", "+8675586013388"),
    ("(020) 8888 1234", "+862088881234"),
    ("+1 650 253 0000", "+16502530000"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_e164_normalisation(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "1381234567x", "", "+86 138 1234", "call me", "+999 12345678"])
def test_bad_numbers_are_rejected_with_a_reason(raw):
    with pytest.raises(PhoneError) as info:
        normalise_phone(raw)
    assert str(info.value)


def test_csv_bad_rows_reported_good_rows_kept_duplicates_merged(redis_client, tmp_path):
    (tmp_path / "map.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "crm.csv").write_text(CSV, encoding="utf-8")
    report = import_customers(redis_client, tmp_path / "crm.csv", load_mapping(tmp_path / "map.yaml"))

    # Only rows without a callable number are refused; unreadable optional cells are warnings.
    assert {(e.line, e.column) for e in report.errors} == {(4, "手机号"), (6, "手机号")}
    assert {(e.line, e.column) for e in report.warnings} == {(5, "订单数"), (5, "最近购买")}
    assert all(e.reason for e in report.errors + report.warnings)
    assert "not an amount" in next(e.reason for e in report.warnings if e.column == "订单数")
    assert report.rows_read == 7 and report.rows_ok == 5 and report.duplicates_in_file == 1
    assert report.new_customers == 4
    zhao = CustomerStore(redis_client).get(keys.customer_id("+8613900001111"))
    assert zhao["name"] == "赵六" and zhao["x_订单数"] == "two" and zhao["x_最近购买"] == "2026-13-01"

    store = CustomerStore(redis_client)
    zhang = store.get(keys.customer_id("+8613812345678"))
    assert zhang["name"] == "张三" and zhang["orders_12m"] == "5"  # later row wins
    assert zhang["spend_12m"] == "1200.5" and zhang["last_purchase_at"] == "2026-01-05"  # kept from first row
    assert zhang["tags"] == ["new", "vip"]  # unioned
    assert zhang["x_来源"] == "网站日志" and zhang["timezone"] == "Asia/Shanghai"
    li = store.get(keys.customer_id("+861062345678"))
    assert li["last_purchase_at"] == "2026-02-01"

    # A second, partly bad export: stored data survives, good rows merge in.
    (tmp_path / "crm2.csv").write_text("手机号,姓名,订单数,消费金额,最近购买,标签,来源\n"
                                       "13812345678,,7,,,loyal,CRM\n"
                                       "bad,x,1,1,2026-01-01,,CRM\n", encoding="utf-8")
    report2 = import_customers(redis_client, tmp_path / "crm2.csv", load_mapping(tmp_path / "map.yaml"))
    assert [(e.line, e.column) for e in report2.errors] == [(3, "手机号")]
    assert report2.updated_customers == 1 and store.count() == 4
    zhang = store.get(keys.customer_id("+8613812345678"))
    assert zhang["name"] == "张三" and zhang["orders_12m"] == "7" and zhang["tags"] == ["loyal", "new", "vip"]


def test_malformed_file_or_mapping_stores_nothing_and_says_why(redis_client, tmp_path):
    (tmp_path / "ok.csv").write_text("phone,name\n13812345678,A\n", encoding="utf-8")
    import_customers(redis_client, tmp_path / "ok.csv", load_mapping(None))
    before = redis_client.hgetall(keys.customer(keys.customer_id("+8613812345678")))

    (tmp_path / "map.yaml").write_text("columns:\n  phone: Mobile\n  spend: Spend\n", encoding="utf-8")
    with pytest.raises(MappingError, match="unknown fields \\['spend'\\]"):
        load_mapping(tmp_path / "map.yaml")
    (tmp_path / "bad.yaml").write_text("columns: [unclosed\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(tmp_path / "bad.yaml")
    (tmp_path / "map.json").write_text(json.dumps({"columns": {"phone": "Mobile", "name": "Name"}}), encoding="utf-8")
    with pytest.raises(MappingError, match="phone column 'Mobile' not in header"):
        import_customers(redis_client, tmp_path / "ok.csv", load_mapping(tmp_path / "map.json"))
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(ImportFileError, match="empty file"):
        import_customers(redis_client, tmp_path / "empty.csv", load_mapping(None))
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ImportFileError, match="not a readable .xlsx"):
        import_customers(redis_client, tmp_path / "fake.xlsx", load_mapping(None))
    (tmp_path / "ragged.csv").write_text("phone,name\n13700001111,B,extra\n13900001111,C\n", encoding="utf-8")
    report = import_customers(redis_client, tmp_path / "ragged.csv", load_mapping(None))
    assert report.errors == [] and report.rows_ok == 2  # the number is still callable: kept, flagged
    assert [(e.line, e.column) for e in report.warnings] == [(2, "*")]
    assert report.warnings[0].reason.startswith("row has 3 fields, header has 2")

    assert redis_client.hgetall(keys.customer(keys.customer_id("+8613812345678"))) == before
    assert CustomerStore(redis_client).count() == 3


def test_xlsx_import_with_typed_cells(redis_client, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mobile", "Name", "Member", "Hour", "Channel", "Last order"])
    sheet.append([13812345678, "Wang", "是", "19:30", "微信", "2026-02-01"])
    sheet.append(["+1 650 253 0000", "Smith", "no", "25", "fax", "2026-02-01"])
    book.save(tmp_path / "export.xlsx")
    (tmp_path / "map.yaml").write_text("columns: {phone: Mobile, name: Name, member: Member, preferred_hour: Hour, "
                                       "channel: Channel, last_purchase_at: Last order}\n", encoding="utf-8")
    report = import_customers(redis_client, tmp_path / "export.xlsx", load_mapping(tmp_path / "map.yaml"))
    assert report.errors == [] and {(e.line, e.column) for e in report.warnings} == {(3, "Hour"), (3, "Channel")}
    wang = CustomerStore(redis_client).get(keys.customer_id("+8613812345678"))
    assert (wang["member"], wang["preferred_hour"], wang["channel"]) == ("1", "19", "wechat")


def test_gbk_csv_from_a_chinese_crm(redis_client, tmp_path):
    (tmp_path / "gbk.csv").write_bytes("手机号,姓名,渠道\n13812345678,张三,短信\n".encode("gb18030"))
    (tmp_path / "map.yaml").write_text("columns: {phone: 手机号, name: 姓名, channel: 渠道}\n", encoding="utf-8")
    report = import_customers(redis_client, tmp_path / "gbk.csv", load_mapping(tmp_path / "map.yaml"))
    assert report.errors == [] and report.new_customers == 1
    customer = CustomerStore(redis_client).get(keys.customer_id("+8613812345678"))
    assert (customer["name"], customer["channel"]) == ("张三", "sms")
