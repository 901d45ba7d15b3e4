"""The Chinese normaliser: what the zh-CN voice is asked to say for digits, money, codes, dates and Latin."""

from __future__ import annotations

import pytest

from voicebot.tts.normalize import normalize
from voicebot.tts.zh_normalize import chinese_number, normalize_zh, spell_latin

CASES = [
    # amounts
    ("99元", "九十九元"),
    ("1.2万", "一点二万"),
    ("￥1800", "一千八百元"),
    ("¥1,800.50", "一千八百点五元"),
    ("¥2万", "两万元"),
    ("50%", "百分之五十"),
    ("0.5%", "百分之零点五"),
    ("涨了30%-40%", "涨了百分之三十到百分之四十"),
    ("打8.8折", "打八点八折"),
    ("99元/月", "九十九元每月"),
    ("共200元", "共两百元"),
    ("12000", "一万两千"),
    ("10010", "一万零一十"),
    ("105", "一百零五"),
    ("一共1000000元", "一共一百万元"),
    # phone, order and code numbers: digit by digit with 幺
    ("13812345678", "幺三八、幺二三四、五六七八"),
    ("我的手机是138-1234-5678", "我的手机是幺三八、幺二三四、五六七八"),
    ("客服热线400-820-8820", "客服热线四零零、八二零、八八二零"),
    ("座机010-12345678", "座机零幺零、幺二三四五六七八"),
    ("验证码是1234", "验证码是幺二三四"),
    ("订单号SF1108", "订单号艾斯艾弗幺幺零八"),
    ("运单9787111", "运单九七八七幺幺幺"),
    ("007", "零零七"),
    # dates and times
    ("12月31日", "十二月三十一日"),
    ("2024年", "二零二四年"),
    ("2025-03-01", "二零二五年三月一日"),
    ("下午3点", "下午三点"),
    ("下午2点", "下午两点"),
    ("15:30", "十五点三十分"),
    ("9:05", "九点零五分"),
    ("晚上8:00", "晚上八点"),
    ("3点半", "三点半"),
    # ranges, negatives, decimals, ordinals, measure words
    ("3-5天", "三到五天"),
    ("2-3个", "两到三个"),
    ("零下-5℃", "零下负五摄氏度"),
    ("3.14", "三点一四"),
    ("第2名", "第二名"),
    ("2个人", "两个人"),
    ("1/3的用户", "三分之一的用户"),
    # Latin letters and brands: said, never dropped
    ("5G套餐", "五吉套餐"),
    ("连WiFi", "连歪飞"),
    ("VIP会员", "维爱批会员"),
    ("下载APP", "下载诶批批"),
    ("100M宽带", "一百兆宽带"),
    ("20GB流量", "二十吉流量"),
    ("CEO", "西伊欧"),
    # punctuation kept for clause streaming, ASCII forms become Chinese
    ("好的,再见!", "好的，再见！"),
]


@pytest.mark.parametrize("text,spoken", CASES)
def test_reads_as_a_chinese_agent_would(text, spoken):
    assert normalize_zh(text) == spoken


def test_no_digit_or_latin_letter_survives():
    text = "您好，iPhone 16 Pro Max现价¥7999，12期免息，还送AirPods，详询400-800-1234。"
    out = normalize_zh(text)
    assert not any(ch.isascii() and ch.isalnum() for ch in out), out
    assert "爱疯" in out and "普肉" in out and "麦克斯" in out and "期免息" in out


def test_every_letter_has_a_reading_and_unknown_words_are_spelled():
    assert all(spell_latin(ch) for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    assert spell_latin("xyz") == "艾克斯歪贼"
    assert spell_latin("wifi") == "歪飞"


@pytest.mark.parametrize("n,text", [(0, "零"), (10, "十"), (11, "十一"), (20, "二十"), (101, "一百零一"),
                                    (2000, "两千"), (20000, "两万"), (100000000, "一亿"),
                                    (120000000, "一亿两千万"), (-3, "负三")])
def test_cardinals(n, text):
    assert chinese_number(n) == text


def test_locale_dispatch_keeps_english_untouched():
    assert normalize("It costs $5.", "en-US") == "It costs five dollars."
    assert normalize("5元", "zh-CN") == "五元"
