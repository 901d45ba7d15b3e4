"""Chinese text normalisation before synthesis: what a Chinese agent would say for digits, money,
dates, times, phone and order numbers, Latin letters and symbols.

Rules are applied in the order of ``RULES`` (each one a named regex and a reader); every rule
turns what it matches into Hanzi, so a later rule never sees it again. Nothing speakable is
dropped: a Latin word without a reading is spelled letter by letter.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from voicebot.zh_numerals import chinese_number, read_digits

# Words after a number that say it is read as an amount or count, not digit by digit.
COUNT_UNITS = "元块角分毛万亿千百个位次件台张天年月日号周岁人户家条种份套部间辆瓶盒箱斤克米秒度倍折期届层楼项笔单"
# Measure words before which 2 is 两 (两个, 两点, 两天), not 二.
LIANG_MEASURES = ("个", "位", "次", "件", "台", "张", "天", "周", "年", "岁", "人", "户", "家", "条", "种", "份",
                  "套", "部", "间", "辆", "瓶", "盒", "箱", "斤", "克", "倍", "点", "小时", "分钟", "秒", "千", "万",
                  "亿", "百", "块", "毛", "项", "笔", "单", "M", "T", "兆", "吉", "公里", "公斤", "米", "层", "遍",
                  "本", "只", "双", "对", "杯", "碗", "节", "台", "所", "名", "场", "轮", "届", "期", "款", "把", "口")
# Words that make the digits after them a code read digit by digit.
CODE_CONTEXT = ("电话", "手机", "号码", "热线", "尾号", "单号", "订单", "编号", "工号", "验证码", "卡号", "账号",
                "帐号", "分机", "房间", "邮编", "密码", "快递", "运单", "车牌", "身份证", "会员号", "客服号", "批次",
                "序列号", "型号", "QQ", "微信号")

# Latin letters as a Mandarin speaker names them (chosen among syllables the voice has).
LETTERS = {
    "A": "诶", "B": "必", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉", "H": "艾尺", "I": "爱",
    "J": "杰", "K": "开", "L": "艾乐", "M": "艾姆", "N": "恩", "O": "欧", "P": "批", "Q": "丘", "R": "阿尔",
    "S": "艾斯", "T": "踢", "U": "优", "V": "维", "W": "达不溜", "X": "艾克斯", "Y": "歪", "Z": "贼",
}
# Latin words and brands said as words, not spelled (keys upper case, matched as whole words).
WORDS = {
    "WIFI": "歪飞", "OK": "欧开", "HELLO": "哈喽", "HI": "嗨", "BYE": "拜", "QQ": "扣扣", "IPHONE": "爱疯",
    "IPAD": "爱派", "EMAIL": "伊妹儿", "E-MAIL": "伊妹儿", "PLUS": "普拉斯", "PRO": "普肉", "MAX": "麦克斯",
    "MINI": "迷你", "MAC": "麦克", "HOLD": "后的", "BUG": "巴格", "CALL": "扣", "FANS": "饭丝",
}
# Units written in Latin after a number.
LATIN_UNITS = {
    "kg": "公斤", "km": "公里", "cm": "厘米", "mm": "毫米", "ml": "毫升", "mL": "毫升", "m²": "平方米",
    "㎡": "平方米", "GB": "吉", "G": "吉", "MB": "兆", "M": "兆", "Mbps": "兆", "TB": "踢", "T": "踢",
    "KB": "K", "W": "瓦", "kW": "千瓦", "kWh": "度", "h": "小时", "min": "分钟",
}
SYMBOLS = {
    "%": "百分之", "‰": "千分之", "+": "加", "=": "等于", "×": "乘", "÷": "除以", "&": "和", "@": "艾特",
    "#": "井号", "*": "星号", "°C": "摄氏度", "℃": "摄氏度", "°": "度", "~": "到", "～": "到",
}
HALF_WIDTH_PUNCT = {",": "，", "!": "！", "?": "？", ";": "；", ":": "：", "(": "（", ")": "）", ".": "。"}


def read_decimal(whole: str, frac: str | None = None) -> str:
    text = chinese_number(int(whole))
    if frac:
        text += "点" + read_digits(frac, one="一")
    return text


def spell_latin(word: str) -> str:
    """A Latin word: its reading if known, else letter by letter (never dropped)."""
    known = WORDS.get(word.upper())
    if known:
        return known
    return "".join(LETTERS.get(ch.upper(), "") for ch in word)


# --- readers: one per rule ----------------------------------------------------------------------

def _phone(m: re.Match) -> str:
    groups = [g for g in re.split(r"[\s\-]+", m.group(0)) if g]
    if len(groups) == 1 and len(groups[0]) == 11:  # 13812345678 is said 138, 1234, 5678
        g = groups[0]
        groups = [g[:3], g[3:7], g[7:]]
    return "、".join(read_digits(g) for g in groups)


def _code_after_keyword(m: re.Match) -> str:
    return m.group(1) + m.group(2) + _read_code(m.group(3))


def _read_code(code: str) -> str:
    if re.fullmatch(r"1[3-9]\d{9}", code):  # a mobile number after 手机/电话: grouped 3-4-4 like any other
        return _phone(re.match(r".+", code))
    out = []
    for part in re.findall(r"\d+|[A-Za-z]+|[\-\s]+", code):
        if part[0].isdigit():
            out.append(read_digits(part))
        elif part[0].isalpha():
            out.append("".join(LETTERS[ch.upper()] for ch in part))
        else:
            out.append("、" if "-" in part else "")
    return "".join(out)


def _full_date(m: re.Match) -> str:
    year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
    return f"{read_digits(year, one='一')}年{chinese_number(month)}月{chinese_number(day)}日"


def _year(m: re.Match) -> str:
    return read_digits(m.group(1), one="一") + "年"


def _clock(m: re.Match) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    text = ("两" if hour == 2 else chinese_number(hour)) + "点"
    if minute:
        text += ("零" if minute < 10 else "") + chinese_number(minute) + "分"
    return text


def _money_prefix(m: re.Match) -> str:
    symbol, amount = m.group(1), m.group(2).replace(",", "")
    whole, _, frac = amount.partition(".")
    currency = {"¥": "元", "￥": "元", "$": "美元", "€": "欧元", "£": "英镑"}[symbol]
    scale = m.group(3) or ""
    frac = frac.rstrip("0")
    return (read_decimal(whole, frac) if frac else _number_text(whole, scale)) + scale + currency


def _percent(m: re.Match) -> str:
    head = "百分之" if m.group(3) in "%％" else "千分之"
    return head + read_decimal(m.group(1), m.group(2))


def _range(m: re.Match) -> str:
    return _number_text(m.group(1), m.group(3)) + "到" + _number_text(m.group(2), m.group(3))


def _number_text(number: str, following: str = "") -> str:
    whole, _, frac = number.partition(".")
    if frac:
        return read_decimal(whole, frac)
    if whole == "2" and following.startswith(LIANG_MEASURES):
        return "两"
    return chinese_number(int(whole))


def _number_unit(m: re.Match) -> str:
    return _number_text(m.group(1), m.group(2)) + LATIN_UNITS[m.group(2)]


def _fraction(m: re.Match) -> str:
    return chinese_number(int(m.group(2))) + "分之" + chinese_number(int(m.group(1)))


def _negative(m: re.Match) -> str:
    return "负" + _number_text(m.group(1))


def _long_digits(m: re.Match) -> str:
    return read_digits(m.group(0))


def _number(m: re.Match) -> str:
    if m.group(2) is None and m.group(1).startswith("0") and len(m.group(1)) > 1:  # 007, 0571
        return read_digits(m.group(1))
    after = m.string[m.end():m.end() + 2]
    ordinal = m.string[max(0, m.start() - 1):m.start()] == "第"
    return _number_text(m.group(0), "" if ordinal else after)


def _latin(m: re.Match) -> str:
    return spell_latin(m.group(0))


def _symbol(m: re.Match) -> str:
    return SYMBOLS[m.group(0)]


_CODE_WORDS = "|".join(sorted(CODE_CONTEXT, key=len, reverse=True))
_UNITS = "|".join(sorted((re.escape(u) for u in LATIN_UNITS), key=len, reverse=True))
_NUM = r"\d+(?:\.\d+)?"

Rule = tuple[str, "re.Pattern[str]", Callable[[re.Match], str]]
RULES: list[Rule] = [
    # codes and phone numbers first: their digits must not be read as amounts
    ("code_after_keyword", re.compile(rf"({_CODE_WORDS})(号?(?:是|为|：|:)?\s*)([A-Za-z]*\d[\dA-Za-z\-\s]*\d|\d)"),
     _code_after_keyword),
    ("mobile", re.compile(r"(?<![\d.])1[3-9]\d(?:[\s\-]?\d{4}){2}(?![\d.])"), _phone),
    ("landline_or_hotline", re.compile(r"(?<![\d.])(?:0\d{2,3}|[48]00)[\s\-]\d{3,4}[\s\-]?\d{3,4}(?![\d.])"), _phone),
    ("full_date", re.compile(r"(?<!\d)(\d{4})[\-/.年](\d{1,2})[\-/.月](\d{1,2})[日号]?(?!\d)"), _full_date),
    ("year", re.compile(r"(?<!\d)(\d{4})年"), _year),
    ("clock", re.compile(r"(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)"), _clock),
    ("money_prefix", re.compile(r"([¥￥$€£])\s?(\d[\d,]*(?:\.\d+)?)(万|亿|千)?"), _money_prefix),
    ("percent_range", re.compile(r"(\d+(?:\.\d+)?)[%％]?\s?[\-~～—–]\s?(?=\d+(?:\.\d+)?[%％])"),
     lambda m: "百分之" + read_decimal(*m.group(1).partition(".")[::2]) + "到"),
    ("percent", re.compile(r"(\d+)(?:\.(\d+))?\s?([%％‰])"), _percent),
    ("range", re.compile(rf"(?<![\d.])({_NUM})\s?[\-~～—–至]\s?({_NUM})(?![\d.])(\S?)"), lambda m: _range(m) + m.group(3)),
    ("number_latin_unit", re.compile(rf"({_NUM})\s?({_UNITS})(?![A-Za-z])"), _number_unit),
    ("per", re.compile(r"/(?=[\u4e00-\u9fff])"), lambda m: "每"),
    ("fraction", re.compile(r"(?<![\d.])(\d+)/(\d+)(?![\d.])"), _fraction),
    ("negative", re.compile(rf"(?<![\dA-Za-z])-({_NUM})"), _negative),
    ("thousands_separator", re.compile(r"(?<=\d),(?=\d{3}(?!\d))"), lambda m: ""),
    ("long_digits", re.compile(rf"(?<![\d.])\d{{7,}}(?![\d.])(?!\s?(?:[{COUNT_UNITS}]))"), _long_digits),
    ("number", re.compile(r"(\d+)(\.\d+)?"), _number),
    ("symbol", re.compile("|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))), _symbol),
    ("latin_word", re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?"), _latin),
]


def _prepare(text: str) -> str:
    # Full-width digits and letters (１２３, ＡＢＣ) to ASCII, leaving Chinese punctuation alone.
    text = "".join(unicodedata.normalize("NFKC", ch) if "\uff10" <= ch <= "\uff5a" else ch for ch in text)
    # 1,800 -> 1800 before any rule sees the comma as punctuation.
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def normalize_zh(text: str) -> str:
    """Everything speakable as Hanzi; ASCII clause punctuation as its Chinese form (for clause streaming)."""
    text = _prepare(text)
    for _name, pattern, reader in RULES:
        text = pattern.sub(reader, text)
    return "".join(HALF_WIDTH_PUNCT.get(ch, ch) for ch in text)

