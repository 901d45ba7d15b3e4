"""Real CRM exports: a messy GBK CSV and a workbook with a 说明 sheet first import with every callable
row kept; free-form cells are read or kept raw and flagged; the dry run shows the detected mapping."""

from __future__ import annotations

import csv
from datetime import date

import pytest
import structlog
from messy_export import ROWS, callable_rows, write_gbk_csv, write_workbook

from voicebot.campaign import freeform, keys
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.importer import import_customers, write_issues_csv
from voicebot.campaign.mapping import load_mapping
from voicebot.cli import main


@pytest.fixture(autouse=True)
def _hermetic(tmp_path, monkeypatch):
    config = tmp_path / "voicebot.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("VOICEBOT_CONFIG", str(config))
    monkeypatch.setenv("VOICEBOT_LOGGING__LEVEL", "WARNING")
    yield
    structlog.reset_defaults()


@pytest.mark.parametrize("text,expected", [
    ("￥1800", 1800), ("1.2万", 12000), ("3,200.50", 3200.5), ("800元", 800), ("两千", 2000), ("一万二", 12000),
    ("三千五", 3500), ("RMB 500", 500), ("3k", 3000)])
def test_amounts_as_people_write_them(text, expected):
    assert freeform.amount(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("2025年3月24日", date(2025, 3, 24)), ("24/03/2025", date(2025, 3, 24)), ("2024.12.01", date(2024, 12, 1)),
    ("2025/3/24 14:05", date(2025, 3, 24)), ("20250324", date(2025, 3, 24))])
def test_dates_as_people_write_them(text, expected):
    parsed = freeform.parse_date(text)
    assert parsed.value == expected and parsed.note == ""


def test_ambiguous_or_partial_dates_are_read_with_a_note():
    assert freeform.parse_date("03/04/2025").value == date(2025, 4, 3)
    assert "ambiguous" in freeform.parse_date("03/04/2025").note
    assert freeform.parse_date("03/04/2025", day_first=False).value == date(2025, 3, 4)
    assert "1st" in freeform.parse_date("2025年12月").note


@pytest.mark.parametrize("text,expected", [
    ("下午", (14, 18, "any")), ("晚上7点", (19, 21, "any")), ("9-11点", (9, 11, "any")),
    ("工作日晚上", (18, 21, "weekday")), ("周末", (None, None, "weekend")), ("下午3点半", (15, 17, "any")),
    ("after 6pm", (18, 20, "any")), ("19:30", (19, 21, "any")), ("随时", (None, None, "any"))])
def test_contact_times(text, expected):
    t = freeform.parse_contact_time(text)
    assert (t.start, t.end, t.days) == expected


@pytest.mark.parametrize("text,expected", [("VIP", True), ("金卡", True), ("是", True), ("√", True), ("否", False),
                                           ("普通", False), ("非会员", False)])
def test_yes_no_and_member_levels(text, expected):
    assert freeform.parse_yes_no(text) is expected


@pytest.mark.parametrize("writer", [write_gbk_csv, write_workbook], ids=["gbk_csv", "xlsx_notes_sheet_first"])
def test_messy_export_keeps_every_callable_row(redis_client, tmp_path, writer):
    path = writer(tmp_path / ("crm.csv" if writer is write_gbk_csv else "crm.xlsx"))
    report = import_customers(redis_client, path, load_mapping(None), campaign=None)

    assert report.rows_ok == callable_rows() == 8 and report.new_customers == 8
    refused = sorted(e.line for e in report.errors)
    assert len(refused) == 3  # masked number, scientific notation, the totals line
    reasons = " ".join(e.reason for e in report.errors)
    assert "masked" in reasons and "scientific notation" in reasons and "a totals line, not a customer" in reasons
    assert {e.name for e in report.errors} == {"周杰", "吴敏", ""}
    if writer is write_workbook:
        assert report.skipped == ["sheet '说明': no header with a phone column, skipped"]
        assert {e.sheet for e in report.errors} == {"客户名单"}
    sheet = report.sheets[0]
    assert sheet["header_line"] == 3 + (writer is write_gbk_csv)  # banner lines (and a blank one) skipped
    assert sheet["columns"]["phone"] == "手机号码*" and sheet["columns"]["phone_alt"] == "座机"
    assert sheet["columns"]["last_purchase_at"] == "最后下单时间" and sheet["columns"]["member_level"] == "会员等级"

    store = CustomerStore(redis_client)
    zhang = store.get(keys.customer_id("+8613812345678"))
    assert (zhang["name"], zhang["gender"], zhang["age"], zhang["city"]) == ("张伟", "male", "35", "上海")
    assert (zhang["last_purchase_at"], zhang["spend_12m"], zhang["member"]) == ("2025-03-24", "1800.0", "1")
    assert (zhang["preferred_hour"], zhang["preferred_hour_end"], zhang["crm_id"]) == ("19", "21", "K0001")
    assert zhang["x_客户来源"] == "门店"  # an unrecognised column is kept, usable by rules and templates
    li = store.get(keys.customer_id("+8613900001111"))
    assert (li["spend_12m"], li["orders_12m"], li["preferred_days"], li["member"]) == ("12000.0", "2", "weekday", "1")
    assert li["age"] == "29"  # "29岁"
    zhao = store.get(keys.customer_id("+8613600003333"))
    assert "age" not in zhao and "x_年龄" not in zhao  # 不详: unknown, not a problem to flag
    assert zhao["spend_12m"] == "2000.0" and zhao["orders_12m"] == "12" and zhao["last_purchase_at"]
    assert zhao["gender"] == "male" and zhao["member"] == "1"  # 先生, 钻石会员
    sun = store.get(keys.customer_id("+861062345678"))  # empty mobile: the 座机 is dialled
    assert sun["name"] == "孙丽" and sun["preferred_days"] == "weekend"
    zheng = store.get(keys.customer_id("+8613500004444"))
    assert zheng["phone_others"] == "+8613500005555" and zheng["last_purchase_at"] == "2025-12-01"

    def row_of(e) -> int:  # index into ROWS
        return e.line - sheet["header_line"] - 1

    warned = {(row_of(e), e.column) for e in report.warnings}
    assert (3, "最后下单时间") in warned and (1, "折扣订单占比") in warned and (4, "手机号码*") in warned
    assert (8, "手机号码*") in warned  # 15900006666（本人）
    assert CustomerStore(redis_client).get(keys.customer_id("+8615800007777"))["crm_id"] == "K0010"  # '158…
    assert {row_of(e) for e in report.warnings} == {i for i, (_c, kind) in enumerate(ROWS) if kind in ("warn", "alt")}

    # The errors CSV: UTF-8 with a BOM (or GBK), refused rows and warnings, with phone and name.
    write_issues_csv(report, tmp_path / "issues.csv")
    assert (tmp_path / "issues.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    rows = list(csv.DictReader((tmp_path / "issues.csv").open(encoding="utf-8-sig")))
    assert list(rows[0]) == ["line", "sheet", "column", "value", "reason", "severity", "phone", "name", "处理", "说明"]
    assert sum(r["severity"] == "refused" for r in rows) == 3
    masked = next(r for r in rows if r["value"] == "138****5678")
    assert masked["name"] == "周杰" and masked["column"] == "手机号码*" and masked["处理"] == "未导入"
    assert masked["说明"] == "号码「138****5678」被打码（部分数字隐藏），无法拨打；请导出完整号码"
    when = next(r for r in rows if r["value"] == "上个月")
    assert when["phone"] == "+8613600003333" and when["name"] == "赵强" and when["severity"] == "warning"
    write_issues_csv(report, tmp_path / "issues-gbk.csv", encoding="gbk")
    assert "赵强" in (tmp_path / "issues-gbk.csv").read_bytes().decode("gbk")


def test_dry_run_prints_the_mapping_and_stores_nothing(redis_server, redis_client, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VOICEBOT_REDIS__URL", f"unix://{redis_server.socket_path}")
    path = write_workbook(tmp_path / "crm.xlsx")
    assert main(["campaign", "import", "any", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "sheet '客户名单': header on line 3, 11 rows" in out
    assert "'手机号码*' -> phone" in out and "'最后下单时间' -> last_purchase_at" in out and "x_客户来源" in out
    assert "sheet '说明': no header with a phone column, skipped" in out
    assert '"name": "张伟"' in out and '"last_purchase_at": "2025-03-24"' in out
    assert CustomerStore(redis_client).count() == 0

    # --sheet picks one sheet; a mapping file overrides detection for the columns it names.
    (tmp_path / "map.yaml").write_text("columns:\n  notes: 客户来源\n", encoding="utf-8")
    assert main(["campaign", "create", "shop"]) == 0
    assert main(["campaign", "import", "shop", str(path), "--sheet", "客户名单", "--mapping", str(tmp_path / "map.yaml"),
                 "--errors-csv", str(tmp_path / "e.csv")]) == 0
    capsys.readouterr()
    zhang = CustomerStore(redis_client).get(keys.customer_id("+8613812345678"))
    assert zhang["notes"] == "门店" and zhang["x_备注"] == "老客户"
    assert main(["campaign", "import", "shop", str(path), "--sheet", "没有"]) == 1
    assert "没有名为「没有」的工作表；现有工作表：说明, 客户名单" in capsys.readouterr().err  # a zh-CN campaign


def test_other_exports_english_utf16_and_unnamed_phone_column(redis_client, tmp_path):
    # Excel's "Unicode text": UTF-16, tab-separated, English CRM headers with split names.
    (tmp_path / "contacts.txt").write_bytes("\t".join(["Contact ID", "First Name", "Last Name", "Mobile Phone",
                                                       "Home Phone", "Mailing City", "Last Order Date",
                                                       "Lifetime Value", "Email"]).encode("utf-16") + "\r\n".join([
        "", "\t".join(["C-1", "Anna", "Smith", "", "(020) 8888 1234", "Guangzhou", "Mar 24, 2025", "$1,200", "a@x.cn"]),
        "\t".join(["C-2", "Wei", "Zhang", "+86 138-1234-5678 ext. 12", "", "Shanghai", "24-Mar-2025", "3k", ""]),
    ]).encode("utf-16-le"))
    report = import_customers(redis_client, tmp_path / "contacts.txt", load_mapping(None))
    assert report.errors == [] and report.rows_ok == 2 and report.sheets[0]["encoding"] == "utf-16"
    store = CustomerStore(redis_client)
    anna = store.get(keys.customer_id("+862088881234"))  # no mobile: the home phone
    assert (anna["name"], anna["city"], anna["last_purchase_at"], anna["spend_12m"]) == (
        "Anna Smith", "Guangzhou", "2025-03-24", "1200.0")
    assert anna["x_Email"] == "a@x.cn" and anna["crm_id"] == "C-1"
    wei = store.get(keys.customer_id("+8613812345678"))
    assert wei["name"] == "Wei Zhang" and wei["spend_12m"] == "3000.0"
    assert any("extension 12" in w.reason for w in report.warnings)

    # Nobody named the phone column: it is found from its values; 先生/女士 give the gender.
    (tmp_path / "list.csv").write_text("会员资料\n编码,称谓,联系号,城市\nA1,王先生,=\"13700001111\",上海\n"
                                       "A2,李女士,139 0000 2222（微信同号）,北京\nA3,赵,,深圳\n", encoding="utf-8")
    report = import_customers(redis_client, tmp_path / "list.csv", load_mapping(None))
    assert report.sheets[0]["how"]["phone"] == "recognised from its values (phone numbers)"
    assert report.rows_ok == 2 and [(e.line, e.column) for e in report.errors] == [(5, "联系号")]
    wang = store.get(keys.customer_id("+8613700001111"))
    assert (wang["name"], wang["gender"], wang["crm_id"]) == ("王先生", "male", "A1")
    assert store.get(keys.customer_id("+8613900002222"))["gender"] == "female"


def test_order_export_one_row_per_order_sums_per_customer(redis_client, tmp_path):
    (tmp_path / "orders.csv").write_text(
        "订单编号,收货人姓名,联系手机,订单付款时间,实付金额,会员等级\n"
        "T1,刘洋,13733334444,2025-11-11 00:01:02,199.00,普通会员\n"
        "T2,刘洋,137 3333 4444,2025-06-18 10:00:00,88.00,普通会员\n"
        "T3,周敏,13755556666,2025-09-01 12:00:00,1200,金卡会员\n", encoding="utf-8")
    report = import_customers(redis_client, tmp_path / "orders.csv", load_mapping(None))
    assert report.sheets[0]["one_row_per_order"] and report.rows_ok == 3 and report.new_customers == 2
    liu = CustomerStore(redis_client).get(keys.customer_id("+8613733334444"))
    assert (liu["spend_12m"], liu["orders_12m"], liu["last_purchase_at"]) == ("287.0", "2", "2025-11-11")
    assert liu["member"] == "0"  # 普通会员 is the no-programme level
    assert CustomerStore(redis_client).get(keys.customer_id("+8613755556666"))["member"] == "1"
