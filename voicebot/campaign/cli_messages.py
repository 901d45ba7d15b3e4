"""What the campaign commands print for a person, in one table: Chinese where the campaign's locale
or the shell's LANG is zh, else English. JSON summaries keep their keys (scripts read them).
"""

from __future__ import annotations

import os

from voicebot.locales import is_chinese

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
    "file_no_sheet": {"en": "{path}: no sheet {sheet!r}; sheets are {names}",
                      "zh": "{path}：没有名为「{sheet}」的工作表；现有工作表：{names}"},
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
    # segment rules: what is wrong, where (file:line, column of the rule)
    "rule_char": {"en": "unexpected character {char!r} at column {col}", "zh": "第 {col} 列有无法识别的字符「{char}」"},
    "rule_expected": {"en": "expected {want!r} at column {col}, found {got!r}",
                      "zh": "第 {col} 列应为「{want}」，实际是「{got}」"},
    "rule_unexpected": {"en": "unexpected {text!r} at column {col}", "zh": "第 {col} 列多出了「{text}」"},
    "rule_list": {"en": "expected a list like [\"上海\", \"杭州\"] at column {col}, found {got!r}",
                  "zh": "第 {col} 列应为列表，例如 [\"上海\", \"杭州\"]，实际是「{got}」"},
    "rule_list_items": {"en": "the list at column {col} may hold only numbers and \"text\"",
                        "zh": "第 {col} 列的列表只能包含数字和带引号的文字"},
    "rule_value": {"en": "expected a value at column {col}, found {got!r}", "zh": "第 {col} 列应为一个值，实际是「{got}」"},
    "rule_empty": {"en": "empty rule", "zh": "条件是空的"},
    "rule_function": {"en": "unknown function {name!r}", "zh": "没有「{name}」这个函数"},
    "rule_cannot": {"en": "cannot evaluate {op}", "zh": "无法计算「{op}」"},
    "rule_end": {"en": "end of rule", "zh": "条件结尾"},
    "rules_missing": {"en": "segment rule file {path} does not exist", "zh": "分群规则文件 {path} 不存在"},
    "rules_yaml": {"en": "{source}: not valid YAML: {detail}", "zh": "{source}：不是有效的 YAML：{detail}"},
    "rules_shape": {"en": "{source}:1: needs 'segments:' (a list of name/when rules) and 'default:'",
                    "zh": "{source}:1：需要 segments:（每项含 name 和 when 的列表）和 default:"},
    "rules_default": {"en": "{source}:1: needs 'default: <segment name>' for customers no rule matches",
                      "zh": "{source}:1：需要 default: <分群名>，用于不符合任何规则的客户"},
    "rules_item": {"en": "{source}:{line}: each segment needs 'name:' and 'when:'",
                   "zh": "{source}:{line}：每个分群都需要 name: 和 when:"},
    "rules_twice": {"en": "{source}:{line}: segment {name!r} defined twice", "zh": "{source}:{line}：分群「{name}」定义了两次"},
    "rules_in_segment": {"en": "{source}:{line}: segment {name!r}: {detail}", "zh": "{source}:{line}：分群「{name}」：{detail}"},
    "rules_unknown_function": {"en": "unknown function {fn!r} at column {col}; functions are {known}",
                               "zh": "第 {col} 列的函数「{fn}」不存在；可用的函数有 {known}"},
    "rules_unknown_keys": {"en": "unknown keys {keys}", "zh": "无法识别的键 {keys}"},
    "rules_priority": {"en": "priority must be a whole number", "zh": "priority 必须是整数"},
    "rules_unknown_field": {"en": "unknown field {name!r} (column {col} of the rule); fields are e.g. {sample}",
                            "zh": "没有「{name}」这个字段（条件第 {col} 列）；可用字段例如：{sample}"},
    "rules_field_not_imported": {"en": "field {name!r} ({field}, column {col} of the rule) is not in this campaign's "
                                       "import; it holds {sample}",
                                 "zh": "字段「{name}」（{field}，条件第 {col} 列）不在本活动导入的数据中；现有字段：{sample}"},
    # starting a campaign
    "no_agent": {"en": "warning: dialplan {plan} hands calls to a person (escalation rules) but no agent is configured "
                       "(dialogue.agent_uri): customers who ask for one will be promised a callback, and high-value "
                       "customers will hear the bot's pitch instead of a dedicated agent",
                 "zh": "注意：话术 {plan} 设有转人工规则，但没有配置坐席（dialogue.agent_uri）：要求转人工的客户只会被告知稍后回电，"
                       "高价值客户也只能听机器人介绍，无法转给专属坐席"},
    "no_agent_capacity": {"en": "warning: dialplan {plan} has escalation rules but dialogue.agent_capacity is 0: "
                                "no proactive hand-over will happen",
                          "zh": "注意：话术 {plan} 设有转人工规则，但 dialogue.agent_capacity 为 0：不会主动转给坐席"},
    "channels_over_ceiling": {"en": "warning: {channels} channels asked for, but campaign {name} places at most {ceiling} "
                                    "calls at once (campaign.bot_channels, or the campaign's value in the console), "
                                    "for every machine together: the other workers will wait. Raise that limit to use "
                                    "them all",
                              "zh": "注意：要求 {channels} 路，但活动 {name} 同时最多只拨 {ceiling} 路（campaign.bot_channels，"
                                    "或控制台中本活动的设置，所有机器合计）：多出的通道会空等。要全部用上，请先调高这个上限"},
    "fields_lacking": {"en": "the dialplan's script lines use customer fields some customers lack:\n{lines}",
                       "zh": "话术中引用了部分客户缺少的客户字段：\n{lines}"},
    "field_lacking": {"en": "{where} uses {{{var}}}, but {lacking} of {total} customers have no {field!r} (e.g. "
                            "{example}); fill the field or write the line as a list whose last wording uses no "
                            "customer field (the fallback)",
                      "zh": "{where} 用到了 {{{var}}}，但 {total} 位客户中有 {lacking} 位没有「{field}」（例如 {example}）；"
                            "请补全该字段，或把这句话写成列表，并让最后一种说法不引用客户字段（作为兜底）"},
}


def is_zh(locale: str | None = None) -> bool:
    shell = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    return is_chinese(shell) or bool(locale and is_chinese(locale))


def msg(key: str, zh: bool, **values: object) -> str:
    return MESSAGES[key]["zh" if zh else "en"].format(**values)


def status_word(status: str | None, zh: bool) -> str:
    key = f"status_{status}"
    return msg(key, zh) if key in MESSAGES else str(status)


def said(error_class: type[Exception], key: str, **values: object) -> Exception:
    """An error whose text is a row of the table: English as its str() (logs, tests), and
    ``error_text`` gives it in the reader's language."""
    exc = error_class(msg(key, False, **{k: _rendered(v, False) for k, v in values.items()}))
    exc.message_key, exc.message_values = key, values  # type: ignore[attr-defined]
    return exc


def error_text(exc: BaseException, zh: bool) -> str:
    """An error from ``said`` in the reader's language; values that are such errors themselves (a rule's
    fault inside its file:line) are rendered in the same language."""
    key = getattr(exc, "message_key", None)
    if not key:
        return str(exc)
    return msg(key, zh, **{k: _rendered(v, zh) for k, v in exc.message_values.items()})  # type: ignore[attr-defined]


def _rendered(value: object, zh: bool) -> object:
    """An error (or a list of them, one per line) in the reader's language; other values as they are."""
    if isinstance(value, BaseException):
        return error_text(value, zh)
    if isinstance(value, list) and value and all(isinstance(v, BaseException) for v in value):
        return "\n".join(error_text(v, zh) for v in value)
    return value


def row_issue(key: str, issue, zh: bool) -> str:
    """A refused row or a cell warning (``importer.RowError``), with its reason in the reader's language."""
    from voicebot.campaign.import_messages import reason_zh

    sheet = msg("sheet", zh, name=issue.sheet) if issue.sheet else ""
    where = msg("where", zh, sheet=sheet, line=issue.line, column=issue.column)
    return msg(key, zh, where=where, reason=reason_zh(issue.reason) if zh else issue.reason)
