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
    # import --dry-run: what was recognised in each sheet
    "file": {"en": "file", "zh": "文件"},
    "sheet_head": {"en": "{title}: header on line {line}, {rows} rows", "zh": "{title}：表头在第 {line} 行，共 {rows} 行"},
    "sheet_encoding": {"en": ", encoding {encoding}", "zh": "，编码 {encoding}"},
    "sheet_orders": {"en": ", one row per order (amounts summed per customer)", "zh": "，每行一笔订单（金额按客户合计）"},
    "column_mapped": {"en": "  {column!r:>24} -> {field:<20} ({how})", "zh": "  「{column}」→ {field}（{how}）"},
    "column_kept": {"en": "  {column!r:>24} -> x_{column:<18} (kept as is)", "zh": "  「{column}」→ x_{column}（原样保存）"},
    # segments
    "segments_head": {"en": "{n} customers, rules from {rules}:", "zh": "共 {n} 位客户，分群规则来自 {rules}："},
    "segment_line": {"en": "  {label} ({seg}): {count} ({share:.0%})   when: {rule}",
                     "zh": "  {label}（{seg}）：{count} 人（{share:.0%}）  条件：{rule}"},
    # what each command did, one line on stderr (stdout keeps its JSON for scripts)
    "created": {"en": "campaign {name!r} created (language {locale})", "zh": "活动「{name}」已创建（语言 {locale}）"},
    "hours_set": {"en": "calling hours of {name!r}: {start}-{end}{source}; workers use them from their next call",
                  "zh": "活动「{name}」的拨打时间：{start}–{end}{source}，各通道从下一通电话起按此拨打"},
    "hours_from_config": {"en": " (the config's default)", "zh": "（系统默认）"},
    "paused": {"en": "campaign {name!r} paused: no new calls; calls in progress finish",
               "zh": "活动「{name}」已暂停：不再拨出新电话，正在进行的通话会正常结束"},
    "resumed": {"en": "campaign {name!r} resumed", "zh": "活动「{name}」已恢复拨打"},
    "planned": {"en": "{n} customers planned: {segments}", "zh": "已为 {n} 位客户制定拨打计划：{segments}"},
    "count_item": {"en": "{name} {n}", "zh": "{name} {n} 人"},
    "list_sep": {"en": ", ", "zh": "，"},
    "started_done": {"en": "{dialed} calls placed, {deferred} put off to allowed hours; campaign {name!r} is {status}",
                     "zh": "本次拨出 {dialed} 通，{deferred} 通顺延到允许拨打的时段；活动「{name}」当前状态：{status}"},
    "status_line": {"en": "campaign {name!r}: {status}; {customers} customers, {calls} calls made, {queued} calls "
                          "waiting, {in_flight} in progress",
                    "zh": "活动「{name}」：{status}；客户 {customers} 人，已拨 {calls} 通，待拨 {queued} 通，通话中 {in_flight} 通"},
    "simulated": {"en": "simulated until {until}: {calls} calls to {customers} customers, {callbacks} callbacks "
                        "booked; report: {report}",
                  "zh": "模拟到 {until}：共向 {customers} 位客户拨出 {calls} 通，预约回拨 {callbacks} 次；报告：{report}"},
    # campaign statuses as said to a person
    "status_created": {"en": "created", "zh": "已创建"}, "status_running": {"en": "running", "zh": "拨打中"},
    "status_paused": {"en": "paused", "zh": "已暂停"}, "status_done": {"en": "done", "zh": "已完成"},
    # errors
    "error": {"en": "voicebot: {text}", "zh": "voicebot：{text}"},
    "no_campaign": {"en": "campaign {name!r} does not exist; create it with `voicebot campaign create {name}`",
                    "zh": "活动「{name}」不存在；请先用 `voicebot campaign create {name}` 创建"},
    "campaign_exists": {"en": "campaign {name!r} already exists", "zh": "活动「{name}」已经存在，请换一个名称"},
    "no_customers": {"en": "campaign {name!r} has no customers; import some with `voicebot campaign import {name} FILE`",
                     "zh": "活动「{name}」还没有客户；请先用 `voicebot campaign import {name} 客户表.xlsx` 导入"},
    "bad_hhmm": {"en": "{text!r} is not a time HH:MM (00:00-24:00)", "zh": "「{text}」不是时间，请写成 HH:MM（00:00–24:00），如 09:30"},
    "hours_both": {"en": "give both --start and --end (or --reset)", "zh": "请同时给出 --start 和 --end（或用 --reset 恢复默认）"},
    "hours_order": {"en": "calling hours {start}-{end}: the start must be before the end",
                    "zh": "拨打时间 {start}–{end}：开始时间必须早于结束时间"},
    "needs_simulate": {"en": "--simulated-start needs --simulate", "zh": "--simulated-start 只能和 --simulate 一起使用"},
    # the file being imported
    "file_encoding": {"en": "{path}: text is neither UTF-8, GBK/GB18030 nor Big5; save it as UTF-8 CSV",
                      "zh": "{path}：编码既不是 UTF-8，也不是 GBK/GB18030 或 Big5；请另存为 UTF-8 的 CSV"},
    "file_missing": {"en": "{path} does not exist", "zh": "找不到文件 {path}"},
    "file_xls": {"en": "{path}: old Excel .xls format; open it in Excel/WPS and save as .xlsx or CSV",
                 "zh": "{path}：这是旧版 Excel 的 .xls 文件；请用 Excel/WPS 打开后另存为 .xlsx 或 CSV"},
    "file_sheet_text": {"en": "{path}: --sheet is for .xlsx workbooks, this is a text file",
                        "zh": "{path}：--sheet 只适用于 .xlsx 工作簿，这是文本文件"},
    "file_type": {"en": "{path}: unsupported file type {suffix!r}; use .csv or .xlsx",
                  "zh": "{path}：不支持「{suffix}」格式的文件；请用 .csv 或 .xlsx"},
    "file_empty": {"en": "{path}: empty file, no header row", "zh": "{path}：文件是空的，没有表头"},
    "file_no_header": {"en": "{path}: no header row with a phone column in the first {n} lines",
                       "zh": "{path}：前 {n} 行里找不到带电话列的表头（如「手机号」「联系电话」）"},
    "file_bad_xlsx": {"en": "{path}: not a readable .xlsx workbook: {exc}", "zh": "{path}：无法读取的 .xlsx 文件（{exc}）"},
    "file_no_sheet": {"en": "{path}: no sheet {sheet!r}; sheets are {names}", "zh": "{path}：没有名为「{sheet}」的工作表；现有工作表：{names}"},
    "file_no_sheet_header": {"en": "{path}: no sheet has a header row with a phone column ({skipped})",
                             "zh": "{path}：没有一个工作表带有电话列的表头（{skipped}）"},
    "mapping_missing": {"en": "mapping file {path} does not exist", "zh": "找不到列对应文件 {path}"},
    "mapping_invalid": {"en": "mapping file {path} is not valid {kind}: {exc}", "zh": "列对应文件 {path} 不是有效的 {kind}：{exc}"},
    "mapping_no_columns": {"en": "mapping file {path} needs a 'columns:' table of field: column header",
                           "zh": "列对应文件 {path} 需要一个「columns:」表，每行写「字段: 表头」"},
    "mapping_unknown": {"en": "mapping file {path}: unknown fields {unknown}; known fields are {known}",
                        "zh": "列对应文件 {path}：不认识的字段 {unknown}；可用的字段有 {known}"},
    "mapping_no_phone": {"en": "{path}: no phone column recognised in header {headers}; name it in a mapping file "
                               "(columns: {{phone: <header>}})",
                         "zh": "{path}：表头 {headers} 里没有认出电话列；请在列对应文件里写明（columns: {{phone: 表头}}）"},
    "mapping_phone_absent": {"en": "{path}: phone column {column!r} not in header {headers}",
                             "zh": "{path}：表头 {headers} 里没有电话列「{column}」"},
    "mapping_absent": {"en": "{path}: mapped columns not in header: {missing}; header is {headers}",
                       "zh": "{path}：表头里没有这些对应的列：{missing}；表头是 {headers}"},
    # do-not-call list
    "dnc_not_number": {"en": "{raw!r} is not a phone number ({reason}); skipped", "zh": "「{raw}」不是电话号码（{reason}），已跳过"},
    "dnc_count": {"en": "{n} numbers on the do-not-call list", "zh": "免打扰名单共 {n} 个号码"},
    "dnc_skipped": {"en": "skipped: line {line}: {raw!r}: {reason}", "zh": "已跳过：第 {line} 行「{raw}」：{reason}"},
    "dnc_changed": {"en": "{done} {changed}, {unchanged} {unchanged_word}, {bad} not phone numbers",
                    "zh": "{done} {changed} 个，{unchanged_word} {unchanged} 个，{bad} 个不是电话号码"},
    "dnc_added": {"en": "added", "zh": "已加入"}, "dnc_removed": {"en": "removed", "zh": "已移出"},
    "dnc_already": {"en": "already listed", "zh": "原本就在名单中"}, "dnc_not_listed": {"en": "not listed", "zh": "原本不在名单中"},
    "dnc_imported": {"en": "{read} numbers read: {added} added, {already} already listed, {skipped} lines skipped",
                     "zh": "读取 {read} 个号码：新加入 {added} 个，原本就在名单中 {already} 个，跳过 {skipped} 行"},
    "dnc_exported": {"en": "{n} numbers written to {path}", "zh": "已把 {n} 个号码写入 {path}"},
}


def is_zh(locale: str | None = None) -> bool:
    shell = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return shell.lower().startswith("zh") or bool(locale and locale.lower().startswith("zh"))


def msg(key: str, zh: bool, **values: object) -> str:
    return MESSAGES[key]["zh" if zh else "en"].format(**values)


def status_word(status: str | None, zh: bool) -> str:
    key = f"status_{status}"
    return msg(key, zh) if key in MESSAGES else str(status)


def said(error_class: type[Exception], key: str, **values: object) -> Exception:
    """An error whose text is a row of the table: English as its str() (logs, tests), and
    ``error_text`` gives it in the reader's language."""
    exc = error_class(msg(key, False, **values))
    exc.message_key, exc.message_values = key, values  # type: ignore[attr-defined]
    return exc


def error_text(exc: BaseException, zh: bool) -> str:
    key = getattr(exc, "message_key", None)
    return msg(key, zh, **exc.message_values) if key else str(exc)  # type: ignore[attr-defined]


def row_issue(key: str, issue, zh: bool) -> str:
    """A refused row or a cell warning (``importer.RowError``), with its reason in the reader's language."""
    from voicebot.campaign.import_messages import reason_zh

    sheet = msg("sheet", zh, name=issue.sheet) if issue.sheet else ""
    where = msg("where", zh, sheet=sheet, line=issue.line, column=issue.column)
    return msg(key, zh, where=where, reason=reason_zh(issue.reason) if zh else issue.reason)
