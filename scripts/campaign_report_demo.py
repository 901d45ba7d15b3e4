"""Renders a Chinese campaign report from a simulated campaign and screenshots it (headless Chromium).

    PYTHONPATH=. .venv/bin/python scripts/campaign_report_demo.py [OUT_DIR] [--png tests/artifacts/x.png]

The calls are simulated (``SimulatedDialer`` outcomes by persona); this script adds what the
simulated dialer does not produce: call durations on the simulated clock, per-turn emotions and
post-call survey answers (about half the concluded calls answer). The figures are therefore
demo data, made only to show what the report looks like.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import subprocess
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from voicebot.campaign.campaign import Campaign
from voicebot.campaign.clock import FakeClock
from voicebot.campaign.dialer import CallJob, CallResult
from voicebot.campaign.importer import import_customers
from voicebot.campaign.mapping import ColumnMapping
from voicebot.campaign.simulated import SimulatedDialer
from voicebot.campaign.worker import CampaignWorker
from voicebot.config import CampaignConfig
from voicebot.store.redis_server import PrivateRedis

SHANGHAI = ZoneInfo("Asia/Shanghai")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]
CITIES = ["上海", "杭州", "南京", "苏州", "北京", "广州", "深圳", "成都"]
# persona -> (会员等级, 最后下单时间, 累计消费, 购买次数, 折扣订单占比, 偏好联系时间)
PROFILES = {
    "interested": ("金卡", "2026年2月20日", "3,000", "8", "10%", "晚上7点"),
    "price_sensitive": ("普通", "2026-02-01", "800元", "3", "80%", "下午"),
    "refuse": ("普通", "2025/12/01", "400", "2", "20%", ""),
    "busy": ("钻石会员", "2025.10.01", "1.2万", "12", "5%", "上午"),
    "no_answer": ("", "", "", "0", "", ""),
    "voicemail": ("银卡", "2025年5月1日", "300", "1", "", "周末"),
    "stop_calling": ("普通", "2026-02-01", "两千", "3", "90%", ""),
    "callback": ("金卡", "2026-02-25", "3000", "8", "0", "工作日晚上"),
    "ab": ("普通", "2025-12-20", "600", "2", "20%", "9-11点"),
    "transfer": ("VIP", "2025-11-01", "9,800", "10", "5%", "下午"),
}
MIX = (["interested"] * 14 + ["price_sensitive"] * 16 + ["refuse"] * 14 + ["busy"] * 8 + ["no_answer"] * 8
       + ["voicemail"] * 6 + ["stop_calling"] * 3 + ["callback"] * 6 + ["ab"] * 45 + ["transfer"] * 4)
EMOTIONS = {"A": (["neutral", "positive"], [5, 5, 4]), "B": (["neutral", "neutral", "positive"], [4, 5, 3]),
            "C": (["neutral", "withdrawn"], [3, 4, 2]), "D": (["neutral", "agitated"], [1, 2, 3])}


class DemoDialer:
    """The simulated dialer, plus call time on the clock, emotions and survey answers."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock, self.inner, self.rng = clock, SimulatedDialer(clock, variant_rates={}, default_rate=0.3), \
            random.Random(7)

    def dial(self, job: CallJob) -> CallResult:
        result = self.inner.dial(job)
        ring = 25.0 if result.answered_by in ("no_answer", "busy") else 8.0
        talk = max(result.duration_s, 15.0 if result.answered_by == "human" else 0.0) * 2.5
        result.duration_s = talk
        self.clock.advance(ring + talk + 5.0)  # dialling, ringing, talking, wrap-up
        if result.answered_by == "human" and result.intent_grade:
            emotions, answers = EMOTIONS[result.intent_grade]
            result.emotions = list(emotions)
            if not result.do_not_call and self.rng.random() < 0.55:
                result.csat = self.rng.choice(answers)
        return result


def build(out_dir: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="vb-demo-"))
    server = PrivateRedis(tmp / "redis")
    server.start()
    try:
        client = server.client()
        clock = FakeClock(datetime(2026, 3, 3, 8, 0, tzinfo=SHANGHAI))
        cfg = CampaignConfig(max_attempts=3, retry_backoff_s=[3600.0, 4 * 3600.0], bot_channels=6)
        camp = Campaign(client, "spring-members")
        camp.create("春季会员回访", locale="zh-CN")
        rng = random.Random(3)
        path = tmp / "会员名单.csv"
        with path.open("w", newline="", encoding="gbk") as fh:
            w = csv.writer(fh)
            w.writerow(["客户编号", "客户姓名", "手机号", "性别", "所在城市", "会员等级", "最后下单时间", "累计消费", "购买次数",
                        "折扣订单占比", "偏好联系时间", "persona"])
            for i, persona in enumerate(MIX):
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                w.writerow([f"VIP{20260 + i:06d}", name, f"139{10000000 + i:08d}", rng.choice(["男", "女"]),
                            rng.choice(CITIES), *PROFILES[persona], persona])
        report = import_customers(client, path, ColumnMapping.identity(), campaign=camp.name)
        assert not report.errors, report.errors
        camp.plan(clock, cfg)
        camp.seed(clock, cfg)
        worker = CampaignWorker(client, camp.name, DemoDialer(clock), cfg, clock, worker_id="demo-1")
        worker.run(threading.Event(), poll_s=0.01, exit_when_done=True, advance_clock=True)
        from voicebot.campaign.report import write_report

        files = write_report(client, camp.name, out_dir, cfg)
        return files.html
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2600) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        raise SystemExit("no chromium on PATH (Debian: apt-get install chromium)")
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={png.resolve()}", html.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("reports/demo-zh"))
    parser.add_argument("--png", type=Path, default=None)
    args = parser.parse_args()
    html = build(args.out)
    print(html)
    if args.png:
        screenshot(html, args.png)
        print(args.png)


if __name__ == "__main__":
    main()
