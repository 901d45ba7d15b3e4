"""`voicebot campaign report`: an HTML page in the campaign's locale, PNG charts, and CSVs.

The page opens with the seed's four targets (calls a day with the projection to 5,000, intent
share, cost per lead against manual calling, satisfaction), then charts that show n, the
script A/B with n per arm, and tables. ``calls.csv`` carries the CRM id and name for
supervisors and masks them (and the number) for viewers; CSVs are UTF-8 with a BOM (or GBK).
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import redis

from voicebot.campaign.bandit import ScriptBandit
from voicebot.campaign.campaign import Campaign
from voicebot.campaign.capacity import MeasuredCapacity, Projection, load_capacity, project
from voicebot.campaign.costs import UnitCosts, unit_costs
from voicebot.campaign.customers import CustomerStore
from voicebot.campaign.kpi import Kpis, breakdown, compute, load_results
from voicebot.campaign.report_charts import COLOURS, bars_with_n, chart, variant_bars
from voicebot.campaign.report_text import text_for
from voicebot.campaign.satisfaction import satisfaction
from voicebot.campaign.throughput import Throughput, measure
from voicebot.config import CampaignConfig
from voicebot.locales import is_chinese
from voicebot.masking import mask_name, mask_text
from voicebot.recording.recorder import open_private

_ROW_KPIS = ["attempts", "connect_rate", "human_rate", "avg_turns", "intent_share", "conversion_rate", "transfers",
             "complaints", "opt_outs", "calls_per_hour", "cost", "cost_per_lead", "cost_vs_manual", "csat_score",
             "inferred_satisfaction"]
_PERCENT = {"connect_rate", "human_rate", "intent_share", "conversion_rate", "cost_vs_manual"}
_MONEY = {"cost", "cost_per_lead"}
_SCORE = {"csat_score", "inferred_satisfaction"}
Role = Literal["supervisor", "viewer"]


@dataclass
class ReportFiles:
    html: Path
    calls_csv: Path
    kpis_csv: Path
    charts: list[Path]


def _fmt(value: Any, name: str = "", costs: UnitCosts | None = None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if name in _PERCENT:
            return f"{value:.1%}"
        if name in _MONEY and costs is not None:
            return f"{costs.symbol}{value:,.2f}"
        if name in _SCORE:
            return f"{value:.0f}"
        return f"{value:,.2f}"
    return html.escape(str(value))


def _table(t: dict[str, Any], title: str, groups: dict[str, Kpis], costs: UnitCosts, label=lambda g: g) -> str:
    head = "".join(f"<th>{html.escape(t['kpi'][k])}</th>" for k in _ROW_KPIS)
    rows = "".join(f"<tr><td>{html.escape(label(g))}</td>"
                   + "".join(f"<td>{_fmt(getattr(k, n), n, costs)}</td>" for n in _ROW_KPIS) + "</tr>"
                   for g, k in groups.items())
    return (f"<h2>{html.escape(title)}</h2><div class=scroll><table><tr><th>{t['group']}</th>{head}</tr>{rows}"
            f"</table></div>")


def _card(title: str, value: str, target: str, verdict: str | None, note: str, t: dict[str, Any]) -> str:
    cls = {"met": "ok", "not_met": "bad", None: "nodata"}[verdict]
    badge = t[verdict] if verdict else t["no_data"]
    return (f"<div class=card><div class=card-title>{html.escape(title)}</div><div class=card-value>{value}</div>"
            f"<div class=card-target>{html.escape(target)} <span class='badge {cls}'>{badge}</span></div>"
            f"<div class=card-note>{note}</div></div>")


def _unanswered_questions(client: redis.Redis, name: str) -> list[tuple[str, int]] | None:
    """Questions the FAQ could not answer, from the dialogue side (``voicebot.dialogue.faq_misses``);
    None when that module is not installed."""
    try:
        from voicebot.dialogue.faq_misses import unanswered_questions  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        return [(str(q.text), int(q.count)) for q in unanswered_questions(client, name, 30)]
    except (redis.RedisError, AttributeError, TypeError, ValueError):  # a report without this table beats no report
        return None


def write_report(client: redis.Redis, name: str, out_dir: Path, cfg: CampaignConfig, role: Role = "supervisor",
                 csv_encoding: str = "utf-8-sig", measured: MeasuredCapacity | None = None) -> ReportFiles:
    """``measured``: this machine's rating (``voicebot capacity rate``); else the repository's
    benchmarks/results/capacity.json."""
    campaign = Campaign(client, name).require()
    locale = client.hget(campaign.ck.meta, "locale") or "zh-CN"
    t = text_for(locale)
    zh = is_chinese(locale)
    zone = ZoneInfo(cfg.default_timezone)
    out_dir.mkdir(parents=True, exist_ok=True)
    costs = unit_costs(cfg, locale)
    results = load_results(client, name)
    total = compute(results, cfg, costs)
    parts = breakdown(results, cfg, costs)
    rule_set = campaign.segment_rules()
    seg_label = rule_set.label if zh else (lambda s: s)

    def variant_label(group: str) -> str:
        if "/" not in group:
            return group
        segment, variant = group.split("/", 1)
        return f"{seg_label(segment)} / {variant}"

    open_h, close_h = (int(x.split(":")[0]) + int(x.split(":")[1]) / 60
                       for x in (cfg.calling_hours_start, cfg.calling_hours_end))
    tp = measure(results, cfg.default_timezone, close_h - open_h, cfg.target_calls_per_day, cfg.bot_channels)
    sat = satisfaction(results)
    bandit = ScriptBandit(client, campaign.ck)
    charts: list[Path] = []

    def outcomes(ax):
        keys = list(total.outcomes)
        bars_with_n(ax, [t["answered_by"].get(k, k) for k in keys], [total.outcomes[k] for k in keys],
                    [total.outcomes[k] for k in keys], COLOURS["main"])
        ax.set_title(t["chart_outcomes"])
        ax.set_ylabel(t["chart_outcomes_y"])
    charts.append(chart(out_dir / "outcomes.png", outcomes, zh))

    def intent_by_segment(ax):
        segs = list(parts["segment"])
        bars_with_n(ax, [seg_label(s) for s in segs], [parts["segment"][s].intent_share * 100 for s in segs],
                    [parts["segment"][s].human for s in segs], COLOURS["good"], "{:.0f}%")
        ax.axhline(15, color=COLOURS["grey"], linestyle="--", label=t["chart_intent_target"])
        ax.set_title(t["chart_intent"])
        ax.set_ylabel(t["chart_pct"])
        ax.tick_params(axis="x", labelsize=8)
        ax.legend(loc="upper right", fontsize=8)
    charts.append(chart(out_dir / "intent_by_segment.png", intent_by_segment, zh))

    variant_rows = []
    for segment in bandit.segments() or []:
        # Every arm the dialplan declared (campaign plan), untried ones too: their P(best) is the prior's.
        for s in bandit.stats(segment, draws=2000):
            variant_rows.append((segment, s))

    def variants(ax):
        tried = [s for _, s in variant_rows if s.trials]
        variant_bars(ax, [s.variant for s in tried], [s.rate for s in tried], [s.ci_low for s in tried],
                     [s.ci_high for s in tried], [s.trials for s in tried], t["chart_variants"], t["chart_pct"])
    charts.append(chart(out_dir / "variants.png", variants, zh, height=4.2))

    def per_day(ax):
        days = list(parts["day"])
        ax.plot(days, [parts["day"][d].attempts for d in days], marker="o", color=COLOURS["main"],
                label=t["chart_days_calls"])
        ax.plot(days, [parts["day"][d].intent_customers for d in days], marker="o", color=COLOURS["good"],
                label=t["chart_days_leads"])
        for d in days:
            ax.annotate(str(parts["day"][d].attempts), (d, parts["day"][d].attempts), textcoords="offset points",
                        xytext=(0, 5), ha="center", fontsize=8)
        ax.set_title(t["chart_days"])
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.legend(fontsize=8)
    charts.append(chart(out_dir / "per_day.png", per_day, zh))

    calls_csv = _write_calls_csv(client, out_dir / "calls.csv", results, t, seg_label, zone, role, csv_encoding)
    kpis_csv = out_dir / "kpis.csv"
    with kpis_csv.open("w", newline="", encoding=csv_encoding, errors="replace") as fh:
        w = csv.writer(fh)
        w.writerow([*t["kpis_csv"], *[t["kpi"][n] for n in _ROW_KPIS]])
        w.writerow([t["by"]["all"], t["by"]["all"], *[getattr(total, n) for n in _ROW_KPIS]])
        for by, groups in parts.items():
            for g, k in groups.items():
                label = seg_label(g) if by == "segment" else variant_label(g) if by == "variant" else g
                w.writerow([t["by"][by], label, *[getattr(k, n) for n in _ROW_KPIS]])

    status = campaign.status_report()
    description = client.hget(campaign.ck.meta, "description") or ""
    title = f"{description}（{name}）" if description and zh else f"{description} ({name})" if description else name
    page = _page(t, title, status, total, tp, sat, costs, charts, parts, variant_rows, seg_label, variant_label,
                 _unanswered_questions(client, name), role, calls_csv, kpis_csv, zone, locale,
                 measured or load_capacity())
    html_path = out_dir / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return ReportFiles(html_path, calls_csv, kpis_csv, charts)


def _write_calls_csv(client: redis.Redis, path: Path, results: list[dict[str, Any]], t: dict[str, Any], seg_label,
                     zone: ZoneInfo, role: Role, encoding: str) -> Path:
    ids = sorted({r["customer_id"] for r in results})
    customers = {c["id"]: c for c in CustomerStore(client).get_many(ids)}

    def yes_no(value: object) -> str:
        return t["yes"] if value else t["no"]

    # Names and numbers: 0640 like the recordings (voicebot.recording.recorder.open_private).
    with open_private(path, "w", encoding=encoding, newline="", errors="replace") as fh:
        w = csv.writer(fh)
        w.writerow(t["calls_csv"])
        for r in results:
            res, c = r["result"], customers.get(r["customer_id"], {})
            crm_id, name, phone = str(c.get("crm_id", "")), str(c.get("name", "")), str(c.get("phone", ""))
            if role != "supervisor":
                crm_id = crm_id[:2] + "*" * max(0, len(crm_id) - 2)
                name, phone = mask_name(name), mask_text(phone)
            w.writerow([r["job_id"], crm_id, name, phone, r["attempt"], t["kind"].get(r["kind"], r["kind"]),
                        seg_label(r["segment"]), r["variant"], res.get("offer") or r["offer"],  # what was used
                        datetime.fromtimestamp(r["started"], zone).strftime("%Y-%m-%d %H:%M:%S"),
                        t["answered_by"].get(res["answered_by"], res["answered_by"]), res.get("intent_grade") or "",
                        res.get("turns", 0), res.get("duration_s", 0.0), yes_no(res.get("transferred")),
                        res.get("transfer_reason", ""), yes_no(res.get("converted")), yes_no(res.get("complaint")),
                        yes_no(res.get("do_not_call")), res.get("csat") or "",
                        t["customer_status"].get(r["status"], r["status"]), t["next"].get(r["next"], r["next"])])
    return path


_CSS = """
body{font-family:"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:0;
background:#f4f6f9;color:#1f2933}
header{background:#1f3a5f;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:6px 0 0;font-size:13px;opacity:.85}main{padding:20px 32px}
h2{font-size:16px;margin:26px 0 10px;border-left:4px solid #2f6fb0;padding-left:8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:14px}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card-title{font-size:13px;color:#52606d}.card-value{font-size:28px;font-weight:600;margin:6px 0}
.card-value small{font-size:13px;font-weight:400;color:#52606d;margin-left:4px}
.card-target{font-size:12px;color:#52606d}.card-note{font-size:12px;color:#616e7c;margin-top:8px;line-height:1.6}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11px;margin-left:6px}
.badge.ok{background:#e3f4e8;color:#2a7a46}.badge.bad{background:#fdecea;color:#b3261e}
.badge.nodata{background:#eceff3;color:#616e7c}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:14px}
.charts img{width:100%;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.scroll{overflow-x:auto}table{border-collapse:collapse;background:#fff;font-size:12px;min-width:50%}
td,th{border:1px solid #e1e5ea;padding:5px 9px;text-align:right;white-space:nowrap}th{background:#eef2f7;font-weight:600}
td:first-child,th:first-child,td.l{text-align:left}.note{font-size:12px;color:#616e7c}
"""


def _projection_note(t: dict[str, Any], tp: Throughput, p: Projection) -> str:
    """Both sources with their n, then the projection from the one that counts (never from a handful of calls)."""
    b = p.bench
    lines = [t["proj_bench"].format(source=b.source, cores=b.cores, config=b.config, n=b.conversations, rate=b.calls_per_channel_hour,
                                    per_machine=b.channels_per_machine, p95=b.p95_ms) if b else t["proj_bench_none"]]
    lines.append(t["proj_campaign"].format(n=p.campaign_n, rate=p.campaign_rate) if p.campaign_rate
                 else t["proj_campaign_few" if p.campaign_n < p.min_n else "proj_campaign_unmeasured"]
                 .format(n=p.campaign_n, min_n=p.min_n))
    if p.rate_source is not None and p.projected_per_day is not None:
        lines.append(t["proj_result"].format(source=t["proj_source"][p.rate_source], hours=tp.calling_hours_per_day,
                                             channels=p.channels, projected=p.projected_per_day,
                                             target=tp.target_per_day, need=p.channels_for_target,
                                             machines=p.machines_for_target or "–"))
    return "<br>".join(lines)


def _page(t, name, status, total: Kpis, tp: Throughput, sat, costs: UnitCosts, charts, parts, variant_rows,
          seg_label, variant_label, questions, role, calls_csv: Path, kpis_csv: Path, zone, locale,
          measured: MeasuredCapacity | None) -> str:
    cards = [_volume_card(t, total, tp, measured), _intent_card(t, total), _cost_card(t, total, costs),
             *_satisfaction_cards(t, sat)]
    summary = t["summary"].format(status=html.escape(t["status"].get(status["status"], str(status["status"]))),
                                  customers=status["customers"], attempts=total.attempts, human=total.human,
                                  generated=datetime.now(zone).strftime("%Y-%m-%d %H:%M"))
    who = t["who_supervisor"] if role == "supervisor" else t["who_viewer"]
    lang = "zh-CN" if is_chinese(locale) else "en"
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{t['title']} · {html.escape(name)}</title><style>{_CSS}</style></head><body>
<header><h1>{t['title']} · {html.escape(name)}</h1><p>{summary}</p></header><main>
<h2>{t['cards_title']}</h2><div class=cards>{''.join(cards)}</div>
<h2>{t['charts_title']}</h2><div class=charts>{''.join(f'<img src="{c.name}" alt="{c.stem}">' for c in charts)}</div>
{_ab_section(t, variant_rows, seg_label)}
{_status_table(t, status)}
{_table(t, t['table_segment'], parts['segment'], costs, seg_label)}
{_table(t, t['table_variant'], parts['variant'], costs, variant_label)}
{_table(t, t['table_day'], parts['day'], costs)}
{_table(t, t['table_all'], {t['by']['all']: total}, costs)}
{_questions_table(t, questions)}
<h2>{t['data_title']}</h2><p class=note><a href="{calls_csv.name}">{calls_csv.name}</a> ·
<a href="{kpis_csv.name}">{kpis_csv.name}</a> — {t['data_note'].format(who=who)}</p>
</main></body></html>"""


def _verdict(measured: bool, met: bool) -> str | None:
    return None if not measured else ("met" if met else "not_met")


def _volume_card(t, total: Kpis, tp: Throughput, measured: MeasuredCapacity | None) -> str:
    """1. calls a day, against the target, with the capacity projection."""
    note = _projection_note(t, tp, project(tp, total.attempts, measured))
    verdict = _verdict(bool(total.attempts), tp.calls_per_day >= tp.target_per_day)
    return _card(t["card_volume"], f"{tp.calls_per_day:,.0f}<small>{t['card_volume_unit']} · "
                 f"{t['days_n'].format(n=len(tp.calls_by_day))}</small>",
                 t["card_volume_target"].format(target=tp.target_per_day), verdict, note, t)


def _intent_card(t, total: Kpis) -> str:
    """2. intent share of the calls a person answered."""
    return _card(t["card_intent"], f"{total.intent_share:.1%}<small>{t['n'].format(n=total.human)}</small>",
                 t["card_intent_target"], _verdict(bool(total.human), total.intent_share >= 0.15),
                 t["card_intent_note"].format(leads=total.intent_customers, human=total.human), t)


def _cost_card(t, total: Kpis, costs: UnitCosts) -> str:
    """3. cost per lead, against a person's."""
    def money(value: float | None) -> str:
        return "–" if value is None else f"{costs.symbol}{value:,.2f}"

    cost_note = (t["card_cost_estimated"] if costs.estimated else t["card_cost_configured"]).format(
        per_minute=money(costs.per_minute), agent_hour=money(costs.agent_hour))
    ratio = _fmt(total.cost_vs_manual, "cost_vs_manual")
    verdict = _verdict(total.cost_vs_manual is not None, (total.cost_vs_manual or 0.0) <= 0.6)
    return _card(t["card_cost"], f"{money(total.cost_per_lead)}<small>{costs.currency}</small>",
                 t["card_cost_target"], verdict,
                 t["card_cost_note"].format(manual=money(total.manual_cost_per_lead), ratio=ratio)
                 + "<br>" + html.escape(cost_note), t)


def _satisfaction_cards(t, sat) -> list[str]:
    """4. satisfaction: the survey's score, and apart from it the estimate inferred from the calls."""
    n = t["n"].format
    if sat.csat_n:
        csat = _card(t["card_csat"], f"{sat.csat_score:.0f}<small>{n(n=sat.csat_n)}</small>", t["card_csat_target"],
                     "met" if sat.csat_score >= 85 else "not_met", t["card_csat_note"].format(mean=sat.csat_mean), t)
    else:
        csat = _card(t["card_csat"], f"–<small>{n(n=0)}</small>", t["card_csat_target"], None, t["card_csat_none"], t)
    inferred = "–" if sat.inferred_score is None else f"{sat.inferred_score:.0f}"
    inferred_card = _card(t["card_inferred"], f"{inferred}<small>{n(n=sat.inferred_n)}</small>", "", None,
                          t["card_inferred_note"], t).replace(f"<span class='badge nodata'>{t['no_data']}</span>", "")
    return [csat, inferred_card]


def _ab_section(t, variant_rows, seg_label) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(seg_label(seg))}</td><td class=l>{html.escape(s.variant)}</td><td>{s.trials}</td>"
        f"<td>{s.successes}</td><td>{f'{s.rate:.1%}' if s.trials else '–'}</td>"
        f"<td>{s.ci_low:.1%} – {s.ci_high:.1%}</td><td>{s.p_best:.0%}</td></tr>"
        for seg, s in variant_rows)
    return (f"<h2>{t['ab_title']}</h2><table><tr>{''.join(f'<th>{c}</th>' for c in t['ab_cols'])}</tr>{rows}</table>"
            f"<p class=note>{t['ab_note']}</p>")


def _status_table(t, status) -> str:
    customers = max(1, status["customers"])
    rows = "".join(f"<tr><td>{html.escape(t['customer_status'].get(s, s))}</td><td>{c:,}</td><td>{c / customers:.0%}"
                   f"</td></tr>" for s, c in sorted(status["by_status"].items(), key=lambda kv: -kv[1]))
    return (f"<h2>{t['table_status']}</h2><table><tr><th>{t['status_col']}</th><th>{t['count_col']}</th>"
            f"<th>{t['share_col']}</th></tr>{rows}</table>")


def _questions_table(t, questions: list[tuple[str, int]] | None) -> str:
    """The questions the FAQ could not answer; "" when the FAQ side is not installed."""
    if questions is None:
        return ""
    rows = "".join(f"<tr><td>{html.escape(q)}</td><td>{c}</td></tr>" for q, c in questions) or \
        f"<tr><td>{t['questions_none']}</td><td></td></tr>"
    return (f"<h2>{t['questions_title']}</h2><table><tr><th>{t['questions_cols'][0]}</th>"
            f"<th>{t['questions_cols'][1]}</th></tr>{rows}</table>")
