"""What the campaign commands print for a person, in one table: Chinese where the campaign's locale
or the shell's LANG is zh, else English. JSON summaries keep their keys (scripts read them).
"""

from __future__ import annotations

import os

MESSAGES: dict[str, dict[str, str]] = {
    "bad_row": {"en": "bad row: {where}: {reason}", "zh": "未导入：{where}：{reason}"},
    "cell_warning": {"en": "cell warning: {where}: {reason}", "zh": "请核对：{where}：{reason}"},
    "more_refused": {"en": "... {n} more refused rows", "zh": "……另有 {n} 行未导入"},
    "more_warnings": {"en": "... {n} more cell warnings", "zh": "……另有 {n} 处需要核对"},
    "see_errors_csv": {"en": " (see --errors-csv)", "zh": "（用 --errors-csv 导出全部）"},
    "where": {"en": "{sheet}line {line}, column {column!r}", "zh": "{sheet}第 {line} 行「{column}」列"},
    "sheet": {"en": "sheet {name!r} ", "zh": "工作表「{name}」"},
    "preview_first": {"en": "first {n} customers as they will be stored:", "zh": "前 {n} 位客户（将按此保存）："},
    "notes_read": {"en": "calling notes read as constraints:", "zh": "联系时间备注的解读："},
    "import_done": {"en": "imported {ok} rows: {new} customers new to this campaign ({known} already known from "
                          "other imports), {bad} rows refused",
                    "zh": "已导入 {ok} 行：本活动新增客户 {new} 人（其中 {known} 人在其他导入中已有资料），未导入 {bad} 行"},
    "report_done": {"en": "report written: {path}", "zh": "报告已生成：{path}"},
}


def is_zh(locale: str | None = None) -> bool:
    shell = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return shell.lower().startswith("zh") or bool(locale and locale.lower().startswith("zh"))


def msg(key: str, zh: bool, **values: object) -> str:
    return MESSAGES[key]["zh" if zh else "en"].format(**values)


def row_issue(key: str, issue, zh: bool) -> str:
    """A refused row or a cell warning (``importer.RowError``), with its reason in the reader's language."""
    from voicebot.campaign.import_messages import reason_zh

    sheet = msg("sheet", zh, name=issue.sheet) if issue.sheet else ""
    where = msg("where", zh, sheet=sheet, line=issue.line, column=issue.column)
    return msg(key, zh, where=where, reason=reason_zh(issue.reason) if zh else issue.reason)
