"""`voicebot campaign report`: an HTML page with PNG charts, plus CSVs of calls and KPIs."""

from __future__ import annotations

import csv
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers
import matplotlib.pyplot as plt
import redis

from voicebot.campaign.bandit import ScriptBandit
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.kpi import Kpis, breakdown, compute, load_results
from voicebot.campaign.plans import STRATEGIES
from voicebot.config import CampaignConfig

_ROW_KPIS = ["attempts", "connect_rate", "human_rate", "avg_turns", "intent_share", "conversion_rate", "transfers",
             "complaints", "opt_outs", "calls_per_hour", "cost", "cost_per_lead", "cost_vs_manual"]


@dataclass
class ReportFiles:
    html: Path
    calls_csv: Path
    kpis_csv: Path
    charts: list[Path]


_PERCENT = {"connect_rate", "human_rate", "intent_share", "conversion_rate", "cost_vs_manual"}


def _fmt(value: Any, name: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1%}" if name in _PERCENT else f"{value:,.2f}"
    return html.escape(str(value))


def _table(title: str, groups: dict[str, Kpis]) -> str:
    head = "".join(f"<th>{k}</th>" for k in _ROW_KPIS)
    rows = "".join(f"<tr><td>{html.escape(g)}</td>" + "".join(f"<td>{_fmt(getattr(k, n), n)}</td>" for n in _ROW_KPIS)
                   + "</tr>" for g, k in groups.items())
    return f"<h2>{html.escape(title)}</h2><table><tr><th></th>{head}</tr>{rows}</table>"


def _chart(path: Path, draw) -> Path:
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    draw(ax)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(client: redis.Redis, name: str, out_dir: Path, cfg: CampaignConfig) -> ReportFiles:
    campaign = Campaign(client, name).require()
    out_dir.mkdir(parents=True, exist_ok=True)
    results = load_results(client, name)
    total = compute(results, cfg)
    parts = breakdown(results, cfg)
    bandit = ScriptBandit(client, campaign.ck)
    charts = []

    charts.append(_chart(out_dir / "outcomes.png", lambda ax: (
        ax.bar(list(total.outcomes), list(total.outcomes.values()), color="#4878a8"),
        ax.set_title("Call outcomes (answered by)"), ax.set_ylabel("calls"))))

    def intent_by_segment(ax):
        segs = list(parts["segment"])
        ax.bar(segs, [parts["segment"][s].intent_share * 100 for s in segs], color="#59a14f")
        ax.axhline(15, color="grey", linestyle="--", label="seed target 15 %")
        ax.set_title("Intent customers (A+B) per human-answered call, by segment")
        ax.set_ylabel("%")
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
        ax.legend()
    charts.append(_chart(out_dir / "intent_by_segment.png", intent_by_segment))

    variant_rows = []
    for segment, strategy in STRATEGIES.items():
        for s in bandit.stats(segment, list(strategy.variants), draws=2000):
            if s.trials:
                variant_rows.append((segment, s))

    def variants(ax):
        labels = [s.variant for _, s in variant_rows]
        rates = [s.rate * 100 for _, s in variant_rows]
        err = [[(s.rate - s.ci_low) * 100 for _, s in variant_rows], [(s.ci_high - s.rate) * 100 for _, s in variant_rows]]
        ax.bar(labels, rates, yerr=err if labels else None, capsize=3, color="#f28e2b")
        ax.set_title("Script variants: success rate with 95 % interval")
        ax.set_ylabel("%")
        ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    charts.append(_chart(out_dir / "variants.png", variants))

    def per_day(ax):
        days = list(parts["day"])
        ax.plot(days, [parts["day"][d].attempts for d in days], marker="o", label="calls")
        ax.plot(days, [parts["day"][d].intent_customers for d in days], marker="o", label="intent customers")
        ax.set_title("Calls and intent customers per day")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.legend()
    charts.append(_chart(out_dir / "per_day.png", per_day))

    calls_csv = out_dir / "calls.csv"
    with calls_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["job_id", "customer_id", "attempt", "kind", "segment", "variant", "offer", "started_utc", "answered_by",
                    "intent_grade", "turns", "duration_s", "transferred", "transfer_reason", "converted", "complaint",
                    "do_not_call", "status", "next"])
        for r in results:
            res = r["result"]
            w.writerow([r["job_id"], r["customer_id"], r["attempt"], r["kind"], r["segment"], r["variant"], r["offer"],
                        datetime.fromtimestamp(r["started"], UTC).isoformat(timespec="seconds"),
                        res["answered_by"], res["intent_grade"] or "", res["turns"], res["duration_s"], res["transferred"],
                        res["transfer_reason"], res["converted"], res["complaint"], res["do_not_call"], r["status"], r["next"]])
    kpis_csv = out_dir / "kpis.csv"
    with kpis_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["group_by", "group", *_ROW_KPIS])
        w.writerow(["all", "all", *[getattr(total, n) for n in _ROW_KPIS]])
        for by, groups in parts.items():
            for g, k in groups.items():
                w.writerow([by, g, *[getattr(k, n) for n in _ROW_KPIS]])

    status = campaign.status_report()
    from voicebot.dialogue.faq_misses import unanswered_questions

    unanswered = "".join(f"<tr><td>{html.escape(q.text)}</td><td>{q.count}</td></tr>"
                         for q in unanswered_questions(client, name, 30))
    variant_table = "".join(
        f"<tr><td>{html.escape(seg)}</td><td>{html.escape(s.variant)}</td><td>{s.trials}</td><td>{s.successes}</td>"
        f"<td>{s.rate:.1%}</td><td>{s.ci_low:.1%} – {s.ci_high:.1%}</td><td>{s.p_best:.0%}</td></tr>"
        for seg, s in variant_rows)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Campaign {html.escape(name)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}</style></head><body>
<h1>Campaign {html.escape(name)}</h1>
<p>Status <b>{html.escape(str(status['status']))}</b>, {status['customers']} customers, {total.attempts} calls,
{total.human} answered by a person. Generated {datetime.now(UTC).isoformat(timespec='seconds')}.</p>
<p>Cost per lead {_fmt(total.cost_per_lead)} vs manual calling {_fmt(total.manual_cost_per_lead)}
(ratio {_fmt(total.cost_vs_manual, "cost_vs_manual")}; seed target ≤ 60 %).
Intent share {_fmt(total.intent_share, "intent_share")} (target ≥ 15 %).
Transfers: {html.escape(json.dumps(total.transfer_reasons, ensure_ascii=False))}.
Customer status: {html.escape(json.dumps(status['by_status'], ensure_ascii=False))}.</p>
{_table("All calls", {"all": total})}
{''.join(f'<img src="{c.name}" alt="{c.stem}">' for c in charts)}
{_table("By segment", parts["segment"])}
<h2>Script A/B (Thompson sampling)</h2><table><tr><th>segment</th><th>variant</th><th>trials</th><th>successes</th>
<th>rate</th><th>95 % CI</th><th>P(best)</th></tr>{variant_table}</table>
{_table("By segment / variant", parts["variant"])}
{_table("By day", parts["day"])}
<h2>Questions the FAQ could not answer (未能回答的问题)</h2>
<table><tr><th>question</th><th>times asked</th></tr>{unanswered or '<tr><td>none</td><td></td></tr>'}</table>
<p>Data: <a href="{calls_csv.name}">{calls_csv.name}</a>, <a href="{kpis_csv.name}">{kpis_csv.name}</a>.</p>
</body></html>"""
    html_path = out_dir / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return ReportFiles(html_path, calls_csv, kpis_csv, charts)
