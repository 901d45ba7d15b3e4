"""The report in the campaign's locale: a zh-CN campaign reads fully Chinese, shows n, survey CSAT
apart from the inferred score, and calls.csv carries CRM id and name for supervisors only."""

from __future__ import annotations

import csv
import re
import threading

from campaign_data import write_customers

from voicebot.campaign.campaign import Campaign
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.importer import import_customers
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.report import write_report
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig

PERSONAS = ["interested"] * 4 + ["refuse"] * 4 + ["price_sensitive"] * 4 + ["no_answer"] * 2


class SurveyedCalls:
    """Simulated calls whose customers answer the post-call survey as the survey flow records it:
    ``csat`` 1-5 on the call's result, plus the per-turn emotions the session reports."""

    def __init__(self, clock) -> None:
        self.inner, self.clock = SimulatedDialer(clock), clock

    def dial(self, job: CallJob) -> CallResult:
        result = self.inner.dial(job)
        self.clock.advance(60.0)
        persona = job.customer.get("persona")
        if persona == "interested":
            result.csat, result.emotions = 5, ["neutral", "positive"]
        elif persona == "refuse":
            result.csat, result.emotions = 2, ["neutral", "agitated"]
        elif persona == "price_sensitive":
            result.emotions = ["neutral"]  # did not answer the survey
        return result


def _campaign(redis_client, tmp_path, clock, name: str, locale: str) -> None:
    camp = Campaign(redis_client, name)
    camp.create(locale=locale)
    import_customers(redis_client, write_customers(tmp_path / f"{name}.csv", PERSONAS), ColumnMapping.identity(),
                     campaign=name)
    cfg = CampaignConfig(max_attempts=1)
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    CampaignWorker(redis_client, name, SurveyedCalls(clock), cfg, clock, worker_id="w").run(
        threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)


def _visible_text(page: str) -> str:
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_chinese_campaign_gets_a_chinese_report(redis_client, tmp_path, clock):
    _campaign(redis_client, tmp_path, clock, "zh", "zh-CN")
    cfg = CampaignConfig(cost_per_minute=0.08)  # the agent hour stays an estimate, and the report says so
    files = write_report(redis_client, "zh", tmp_path / "sup", cfg)
    page = files.html.read_text(encoding="utf-8")
    text = _visible_text(page)
    assert 'lang="zh-CN"' in page and "外呼活动报告" in text and "日均外呼量" in text and "意向客户占比" in text
    assert "单价为默认估算值" in text and "¥0.08/分钟" in text and "CNY" in text
    # Survey CSAT with its n (8 answers: 4 x 5, 4 x 2 -> 50 % satisfied), the inferred score apart.
    assert re.search(r"客户满意度（回访）.*?50.*?n = 8", text, re.S)
    assert "推断满意度" in text and "非客户打分" in text
    assert "试验次数 n" in text and "品牌忠诚型" in text and "联系不上" in text
    # No English words left in what a reader sees, apart from variant ids, currency codes and file names.
    words = set(re.findall(r"\b[A-Za-z]{4,}\b", text)) - {"Thompson", "campaign", "cost_per_minute",
                                                          "cost_per_agent_hour", "calls", "kpis", "Excel",
                                                          "capacity", "json"}
    variant_ids = {w for w in words if any(w in v for v in re.findall(r"[a-z]+(?:-[a-z]+)+", text))}
    assert words - variant_ids == set(), words - variant_ids
    for chart in files.charts:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    rows = list(csv.DictReader(files.calls_csv.open(encoding="utf-8-sig")))
    assert len(rows) == len(PERSONAS) and rows[0]["姓名"].startswith("客户") and rows[0]["电话"].startswith("+86139")
    assert {r["回访满意度(1-5)"] for r in rows} == {"5", "2", ""}
    assert {r["客户状态"] for r in rows} >= {"已成交", "无意向", "有意向", "联系不上"}

    viewer = write_report(redis_client, "zh", tmp_path / "view", cfg, role="viewer", csv_encoding="gbk")
    masked = list(csv.DictReader(viewer.calls_csv.open(encoding="gbk")))
    assert all(r["姓名"].startswith("客") and "*" in r["姓名"] for r in masked)
    assert all("*" in r["电话"] for r in masked) and "客户0" not in viewer.calls_csv.read_bytes().decode("gbk")


def test_english_campaign_gets_an_english_report(redis_client, tmp_path, clock):
    _campaign(redis_client, tmp_path, clock, "en", "en-US")
    page = write_report(redis_client, "en", tmp_path / "en", CampaignConfig()).html.read_text(encoding="utf-8")
    assert "Campaign report" in page and "Cost per lead" in page and "$" in page and "外呼" not in page


class AskingCalls(SurveyedCalls):
    """As above, and some customers ask what the FAQ cannot answer (the session's ``unanswered_questions``)."""

    def dial(self, job: CallJob) -> CallResult:
        result = super().dial(job)
        persona = job.customer.get("persona")
        if persona == "price_sensitive":
            result.unanswered_questions = ["你们有没有卖扫地机器人？"]
        elif persona == "refuse":
            result.unanswered_questions = ["<b>能开发票吗</b>"]
        return result


def test_the_report_lists_the_questions_the_bot_could_not_answer_with_their_counts(redis_client, tmp_path, clock):
    camp = Campaign(redis_client, "asks")
    camp.create(locale="zh-CN")
    import_customers(redis_client, write_customers(tmp_path / "asks.csv", PERSONAS), ColumnMapping.identity(),
                     campaign="asks")
    cfg = CampaignConfig(max_attempts=1)
    camp.plan(clock, cfg)
    camp.seed(clock, cfg)
    CampaignWorker(redis_client, "asks", AskingCalls(clock), cfg, clock, worker_id="w").run(
        threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)
    page = write_report(redis_client, "asks", tmp_path / "r", cfg).html.read_text(encoding="utf-8")
    table = page[page.index("客户提出但机器人未能回答的问题"):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(\d+)</td></tr>", table)
    # Four customers of each persona asked; a question is shown as text, never as markup.
    assert sorted(rows) == [("&lt;b&gt;能开发票吗&lt;/b&gt;", "4"), ("你们有没有卖扫地机器人？", "4")], rows
    assert "<b>能开发票吗" not in page

    Campaign(redis_client, "quiet").create(locale="zh-CN")  # nobody called yet: the table says so
    quiet = write_report(redis_client, "quiet", tmp_path / "q", cfg).html.read_text(encoding="utf-8")
    assert re.search(r"客户提出但机器人未能回答的问题.*?暂无", quiet, re.S)
