"""A messy Chinese CRM export, as a small shop's Excel or CRM really saves one.

A title banner and an export-date line above the header, Chinese headers with marks (手机号码*),
a 座机 column next to the mobile, free-form cells (2025年3月24日, ￥1800, 1.2万, 两千, 晚上7点,
工作日晚上, VIP, 金卡, 两次, 1.5 as a share), a few unreadable ones, and rows without a callable
number. Written as a GBK CSV, and as a workbook whose first sheet is a 说明 (notes) sheet.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

BANNER = [["XX母婴连锁 会员客户导出"], ["导出时间：2026-03-01 10:22", "操作员：王店长"]]
HEADER = ["序号", "客户编号", "客户姓名", "性别", "年龄", "手机号码*", "座机", "所在城市", "会员等级", "最后下单时间",
          "累计消费", "购买次数", "折扣订单占比", "偏好联系时间", "积分", "客户来源", "备注"]
# (cells, expectation): "ok" = imported without a warning, "warn" = imported with cell warning(s),
# "alt" = imported on the 座机 number, "refused" = no callable number.
ROWS = [
    (["1", "K0001", "张伟", "男", "35", "138 1234 5678", "", "上海", "金卡", "2025年3月24日", "￥1800", "3", "10%", "晚上7点",
      "1200", "门店", "老客户"], "ok"),
    (["2", "K0002", "李娜", "女", "29岁", "13900001111", "", "杭州", "VIP", "24/03/2025", "1.2万", "两次", "1.5", "工作日晚上",
      "2,300", "小程序", ""], "warn"),  # 29岁 reads; 1.5 read as 1.5 % with a note
    (["3", "K0003", "王芳", "女", "41", "+86 137-0000-2222", "", "北京", "普通", "2024.12.01", "800元", "1", "0.2", "下午",
      "0", "抖音", "价格敏感"], "ok"),
    (["4", "K0004", "赵强", "先生", "不详", "13600003333", "", "深圳", "钻石会员", "上个月", "两千", "十二次", "", "9-11点",
      "一千", "门店", ""], "warn"),  # 不详 means unknown (empty); 上个月 read against today, with a note
    (["5", "K0005", "孙丽", "女", "33", "", "010-62345678", "北京", "银卡", "2026/1/5", "3,200.50", "5", "30%", "周末", "800",
      "门店", "手机停机，打座机"], "alt"),
    (["6", "K0006", "周杰", "男", "27", "138****5678", "", "广州", "", "2026-02-01", "500", "2", "", "随时", "", "网站", ""],
     "refused"),  # masked number, no second number
    (["7", "K0007", "吴敏", "女", "52", "1.38123E+10", "", "成都", "金卡", "2025-11-11", "9800", "8", "5%", "上午", "5600",
      "门店", ""], "refused"),  # Excel scientific notation lost the digits
    (["8", "K0008", "郑红", "女", "38", "13500004444 / 13500005555", "", "南京", "是", "2025年12月", "5千", "4", "", "中午12点",
      "300", "老带新", ""], "warn"),  # two numbers in one cell; month-only date
    (["9", "K0009", "冯磊", "男", "45", "15900006666（本人）", "", "武汉", "否", "2025-06-30", "6,000", "6", "0.1", "晚上",
      "2000", "门店", "高价值"], "warn"),  # the annotation is dropped, with a note
    (["10", "K0010", "", "", "-", "'15800007777", "", "", "无", "", "", "", "", "", "", "", ""], "ok"),  # only a number
    (["合计", "", "", "", "", "", "", "", "", "", "28,400", "", "", "", "", "", ""], "refused"),  # a totals line
]


def callable_rows() -> int:
    return sum(1 for _cells, kind in ROWS if kind != "refused")


def write_gbk_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="gbk") as fh:
        w = csv.writer(fh)
        for line in BANNER:
            w.writerow(line)
        w.writerow([])
        w.writerow(HEADER)
        for cells, _kind in ROWS:
            w.writerow(cells)
    return path


def write_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    for line in (["本表为会员客户导出，请勿修改表头"], ["字段说明：会员等级分为普通、银卡、金卡、钻石"], ["联系电话请填写11位手机号"]):
        notes.append(line)
    data = book.create_sheet("客户名单")
    for line in BANNER:
        data.append(line)
    data.append(HEADER)
    for cells, _kind in ROWS:
        # Excel keeps numbers as numbers: the mobile and amounts arrive as ints / floats.
        typed = [int(c) if c.isdigit() and len(c) < 12 else c for c in cells]
        if cells[5].isdigit():
            typed[5] = int(cells[5])
        data.append(typed)
    book.save(path)
    return path


TRIAL_HEADER = ["客户编号", "姓名", "手机", "出生年月", "所在城市", "最近购买", "累计消费(元)", "购买次数", "联系时间", "会员"]
_CITIES = ["杭州市", "浙江杭州", "上海市浦东新区", "上海", "北京朝阳", "苏州", "南京市", "广州"]
_BOUGHT = ["去年双十一", "618", "2026-02-14", "2025年12月", "上个月", "2025/10/01"]
_SPEND = ["两千", "1.2万", "0.48w", "RMB 5,600", "800", "23000"]
_NOTES = ["中午别打", "晚上7点", "工作日晚上", "除了中午都行", "下午", "", "周末不要打"]


def write_trial_export(path: Path, n: int = 150) -> Path:
    """A manager's own export: banner, 出生年月, city spellings, named shopping days, calling notes,
    Chinese amounts, a masked number and a 合计 line (UTF-8 CSV)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["门店会员导出（试用）"])
        w.writerow(TRIAL_HEADER)
        for i in range(n):
            phone = f"139{20000000 + i:08d}" if i % 50 != 7 else "139****1234"
            w.writerow([f"T{i:04d}", f"客户{i}", phone, f"{1965 + i % 35}{1 + i % 12:02d}", _CITIES[i % len(_CITIES)],
                        _BOUGHT[i % len(_BOUGHT)], _SPEND[i % len(_SPEND)], str(1 + i % 9), _NOTES[i % len(_NOTES)],
                        "是" if i % 3 == 0 else "否"])
        w.writerow(["合计", "", "", "", "", "", "", "", "", ""])
    return path
