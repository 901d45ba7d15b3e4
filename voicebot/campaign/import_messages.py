"""Import problems in Chinese, for the errors CSV a shop manager opens in Excel.

The importer's reasons are English sentences built in one place each; this table turns each kind
into what a Chinese user reads (one pattern per kind; an unknown reason falls back to English).
"""

from __future__ import annotations

import re

# (pattern on the English reason, Chinese text; {0}, {1} ... are the pattern's groups)
_ZH: list[tuple[re.Pattern[str], str]] = [(re.compile(p), z) for p, z in [
    (r"^'(.*)' is masked", "号码「{0}」被打码（部分数字隐藏），无法拨打；请导出完整号码"),
    (r"^'(.*)': Excel saved the number in scientific notation", "号码「{0}」被 Excel 存成了科学计数法，数字已丢失；"
     "请把该列设为文本格式后重新导出"),
    (r"^'(.*)' looks like a landline without its area code", "「{0}」像是没有区号的座机号码，请补上区号（如 010-）"),
    (r"^phone number is empty; dialling the '(.*)' column instead", "手机号为空，改拨「{0}」列的号码"),
    (r"^phone number is empty", "手机号为空"),
    (r"^no phone column", "没有电话列"),
    (r"^a totals line", "合计行，不是客户"),
    (r"^(\d+) numbers in one cell; dialling (\S+)", "一个单元格里有 {0} 个号码，拨打第一个 {1}，其余已保存"),
    (r"^extension (\d+) cannot be dialled; calling (\S+)", "分机号 {0} 无法自动拨打，将拨打总机 {1}"),
    (r"^read as (\+\S+)$", "已去掉备注，按 {0} 拨打"),
    (r"^wrong number of digits", "号码位数不对"),
    (r"^not a valid number for its region", "不是有效号码（请检查区号或号段）"),
    (r"^not a phone number", "不是电话号码"),
    (r"^row has (\d+) fields, header has (\d+)", "这一行有 {0} 列，表头只有 {1} 列；多出的内容已保存在 x_extra"),
    (r"^day/month ambiguous, read as (\S+)", "日/月顺序不确定，按 {0} 读取"),
    (r"^no day given, read as the 1st", "只有年月，按当月 1 日读取"),
    (r"^relative date read against (\S+)", "相对日期，按导入当天 {0} 推算"),
    (r"^Excel day number read as a date", "Excel 日期序号，已换算为日期"),
    (r"^read as ([\d.]+) %", "按 {0}% 读取"),
    (r"is not an amount; kept as text in (\S+)", "不是金额或数字，原文保存在 {0}"),
    (r"is not a whole number; kept as text in (\S+)", "不是整数，原文保存在 {0}"),
    (r"is not a (?:real )?date; kept as text in (\S+)", "不是可识别的日期，原文保存在 {0}"),
    (r"is not a time of day.*; kept as text in (\S+)", "不是可识别的时间段，原文保存在 {0}"),
    (r"is not yes/no; kept as text in (\S+)", "不是“是/否”，原文保存在 {0}"),
    (r"is not a gender.*; kept as text in (\S+)", "不是性别（男/女），原文保存在 {0}"),
    (r"is not a share.*; kept as text in (\S+)", "不是比例（0–1 或百分比），原文保存在 {0}"),
    (r"unknown channel.*; kept as text in (\S+)", "不是已知的联系渠道，原文保存在 {0}"),
    (r"is not an IANA time zone.*; kept as text in (\S+)", "不是有效时区（如 Asia/Shanghai），原文保存在 {0}"),
    (r"unsupported locale.*; kept as text in (\S+)", "不支持的语言，原文保存在 {0}"),
    (r"is not a birth date or birth month.*; kept as text in (\S+)", "不是出生日期或出生年月（如 197003），原文保存在 {0}"),
    (r"; kept as text in (\S+)$", "无法识别，原文保存在 {0}"),
    (r"^named day read as (\S+)", "按节日读取为 {0}"),
    (r"is not a city we recognise; kept as written", "不是可识别的城市，按原文保存"),
    (r"city names need the cpca package", "缺少城市识别组件 cpca，按原文保存"),
    (r"^malformed CSV", "CSV 格式错误（引号不配对等）"),
    (r"^line (\d+): '(.*)' above the header, skipped", "第 {0} 行「{1}」在表头上方，已跳过"),
    (r"^sheet '(.*)': no header with a phone column, skipped", "工作表「{0}」没有带电话列的表头，已跳过"),
]]
SEVERITY_ZH = {"refused": "未导入", "warning": "已导入，请核对"}
# How a column was matched to a field (``ColumnMapping.resolve``), for import --dry-run.
HOW_ZH = {"mapping file": "列对应文件指定", "recognised": "按表头识别", "recognised (partial header)": "按表头部分识别",
          "recognised from its values (phone numbers)": "按内容识别（电话号码）"}


def reason_zh(reason: str) -> str:
    """The Chinese for one import reason (several, joined by '; ' when a row had two phone columns)."""
    parts = []
    for part in re.split(r"; (?=\S+: )", reason) if re.match(r"^\S+: ", reason) else [reason]:
        column = ""
        m = re.match(r"^(\S+): (.*)$", part)
        if m and not m.group(1).startswith("'"):
            column, part = f"「{m.group(1)}」", m.group(2)
        parts.append(column + _one(part))
    return "；".join(parts)


def _one(reason: str) -> str:
    for pattern, text in _ZH:
        m = pattern.search(reason)
        if m:
            return text.format(*m.groups())
    return reason
