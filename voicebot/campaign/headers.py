"""Which customer field a CRM export's column holds, from its header: one alias table, both languages.

Headers are compared after normalisation (case, spaces, brackets, "*"/"(必填)" marks removed):
an exact alias wins, then the longest alias the header contains. The first column matched to a
field takes it; a second phone column (座机 next to 手机) becomes ``phone_alt``, dialled when the
mobile is empty or unusable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# field -> aliases, most specific first. One table: detection, dry-run output and segment rules
# (a rule may name a field by any alias, e.g. 年龄 >= 30) all read it.
ALIASES: dict[str, tuple[str, ...]] = {
    "phone": ("手机号码", "手机号", "手机", "移动电话", "联系电话", "联系方式", "联系手机", "电话号码", "客户电话", "电话",
              "号码", "mobile", "mobilephone", "cellphone", "cell", "phone", "phonenumber", "tel", "telephone",
              "contactnumber", "mobileno", "phoneno"),
    "phone_alt": ("座机", "固话", "固定电话", "办公电话", "备用电话", "其他电话", "landline", "homephone", "workphone",
                  "altphone"),
    "crm_id": ("客户编号", "客户id", "客户代码", "会员编号", "会员id", "会员卡号", "卡号", "用户id", "编号", "customerid",
               "crmid", "clientid", "memberid", "contactid", "accountid", "leadid", "customerno", "customernumber", "id", "no",
               "编码"),
    "name": ("客户姓名", "客户名称", "会员姓名", "会员名称", "联系人姓名", "联系人", "姓名", "名字", "称呼", "称谓", "客户", "name",
             "fullname", "customer", "customername", "contact", "contactname", "membername"),
    "first_name": ("名", "firstname", "givenname", "forename"),
    "last_name": ("姓", "lastname", "surname", "familyname"),
    "gender": ("性别", "gender", "sex"),
    "age": ("年龄", "岁数", "age"),
    "birthday": ("生日", "出生日期", "出生年月", "birthday", "dateofbirth", "dob", "birthdate"),
    "city": ("所在城市", "城市", "地区", "所在地区", "区域", "所在地", "省市", "市", "city", "region", "area", "location",
             "mailingcity", "billingcity"),
    "locale": ("语言", "locale", "language"),
    "timezone": ("时区", "timezone", "tz"),
    "last_purchase_at": ("最近购买时间", "最近购买日期", "最近购买", "最后下单时间", "最后下单日期", "最近下单时间", "最近下单",
                         "最后购买时间", "最后购买", "上次购买", "最近消费时间", "最近消费日期", "最近消费", "最近交易时间", "末次消费",
                         "lastpurchase", "lastpurchasedate", "lastorder", "lastorderdate", "lastpurchaseat",
                         # order exports (one row per order): the latest one is kept
                         "订单付款时间", "付款时间", "支付时间", "下单时间", "成交时间", "购买时间", "购买日期", "订单日期",
                         "订单时间", "orderdate", "paidat", "paymenttime"),
    "first_seen_at": ("注册时间", "注册日期", "首次购买", "入会时间", "开卡时间", "创建时间", "firstseen", "signupdate",
                      "registered", "createdat", "firstseenat"),
    "orders_12m": ("购买次数", "累计消费次数", "累计购买次数", "累计订单数", "消费频次", "消费次数", "下单次数", "订单数",
                   "订单数量", "成交次数", "交易次数", "购买频次", "orders", "ordercount", "purchases", "numberoforders",
                   "orders12m", "frequency"),
    "spend_12m": ("累计消费金额", "累计消费", "消费金额", "消费总额", "消费总金额", "总消费金额", "累计金额", "成交金额",
                  "订单金额", "订单总额", "累计实付", "实付金额", "总消费", "总金额", "近一年消费", "年消费", "近12个月消费",
                  "消费", "totalspend", "spend", "amount", "revenue", "totalamount", "monetary", "spend12m", "ltv",
                  "lifetimevalue", "totalrevenue", "totalpurchases"),
    "discount_order_share": ("折扣订单占比", "折扣占比", "优惠订单占比", "折扣比例", "discountshare", "discountordershare"),
    "coupon_uses": ("用券次数", "优惠券使用次数", "优惠券使用", "用券", "couponuses", "coupons"),
    "channel": ("偏好渠道", "联系渠道", "渠道", "来源渠道", "channel", "preferredchannel"),
    "categories": ("购买品类", "偏好品类", "品类", "商品类别", "类目", "categories", "category"),
    "preferred_time": ("偏好联系时间", "方便接听时间", "联系时间", "方便联系时间", "接听时间", "偏好时段", "可联系时间",
                       "preferredtime", "besttime", "besttimetocall", "contacttime", "preferredhour", "callhours"),
    "visits_30d": ("近30天访问", "访问次数", "浏览次数", "visits", "visits30d", "sessions"),
    "member": ("是否会员", "会员", "member", "ismember"),
    "member_level": ("会员等级", "会员级别", "会员卡等级", "会员卡类型", "会员类型", "卡等级", "卡类型", "客户等级", "客户级别",
                     "等级", "级别", "vip等级", "memberlevel", "membershiplevel", "tier", "level", "loyaltytier",
                     "membershiptier"),
    "points": ("会员积分", "可用积分", "积分", "points", "loyaltypoints", "balancepoints"),
    "tags": ("标签", "客户标签", "tags", "labels"),
    "notes": ("备注", "说明", "留言", "notes", "note", "remark", "remarks", "comment", "comments", "memo"),
    "persona": ("persona",),
}
# A column naming an order: the file has one row per order, so a customer's rows are summed.
ORDER_ID_ALIASES = ("订单编号", "订单号", "订单id", "交易单号", "交易编号", "orderid", "orderno", "ordernumber",
                    "transactionid")
# Field name spelled the canonical way (phone, spend_12m) is always an alias of itself.
for _field in ALIASES:
    if _field.replace("_", "") not in ALIASES[_field]:
        ALIASES[_field] = (*ALIASES[_field], _field.replace("_", ""))

# Two-character aliases specific enough to find inside a longer header (手机(主), 客户性别); generic
# ones (客户, 号码, 等级) only match a header that is exactly them.
_CONTAINS_OK = {"手机", "电话", "姓名", "性别", "年龄", "城市", "积分", "备注", "生日", "地区", "标签", "渠道", "品类", "座机",
                "固话", "时区", "语言"}
_NOISE = re.compile(r"[\s_\-*：:·/\\.()（）【】\[\]<>《》\"'“”‘’#]|必填|选填|一次|\(元\)|（元）|元$|rmb$|cny$")


def normalise_header(header: str) -> str:
    return _NOISE.sub("", str(header)).lower()


@dataclass(frozen=True)
class ColumnMatch:
    field: str
    column: str
    how: str  # "exact" (header is an alias) or "contains" (header contains an alias)


def match_field(header: str) -> tuple[str, str] | None:
    """(field, how) for one header, or None."""
    norm = normalise_header(header)
    if not norm:
        return None
    for fld, aliases in ALIASES.items():
        if norm in aliases:
            return fld, "exact"
    best: tuple[int, str] | None = None
    for fld, aliases in ALIASES.items():
        for alias in aliases:
            # Short Latin aliases (id, no, tel) only match exactly: "video" must not be an "id".
            usable = len(alias) >= 4 if alias.isascii() else (len(alias) >= 3 or alias in _CONTAINS_OK)
            if usable and alias in norm:
                if best is None or len(alias) > best[0]:
                    best = (len(alias), fld)
    return (best[1], "contains") if best else None


def detect_columns(headers: list[str]) -> list[ColumnMatch]:
    """Field for every header it can recognise; each field taken by its first column."""
    taken: dict[str, ColumnMatch] = {}
    for header in headers:
        found = match_field(header)
        if not found:
            continue
        fld, how = found
        if fld == "phone" and "phone" in taken:
            if _is_mobile(header) and not _is_mobile(taken["phone"].column):  # 电话 then 手机: dial the mobile
                taken["phone_alt"] = ColumnMatch("phone_alt", taken["phone"].column, taken["phone"].how)
                taken["phone"] = ColumnMatch("phone", header, how)
                continue
            fld = "phone_alt"  # 手机 + 电话: the second number is the fallback
        if fld in taken:
            prev = taken[fld]
            if prev.how == "contains" and how == "exact":  # an exact header beats a partial one
                taken[fld] = ColumnMatch(fld, header, how)
            continue
        taken[fld] = ColumnMatch(fld, header, how)
    return list(taken.values())


def _is_mobile(header: str) -> bool:
    norm = normalise_header(header)
    return any(w in norm for w in ("手机", "移动", "mobile", "cell"))


def header_score(cells: list[object]) -> int:
    """How much a row looks like a header: recognised header cells, with a phone column weighing most."""
    score = 0
    for cell in cells:
        if cell is None or isinstance(cell, (int, float)):
            continue
        found = match_field(str(cell))
        if found:
            score += 3 if found[0] == "phone" else 1
    return score


def field_for_name(name: str) -> str | None:
    """The canonical field a rule or template names by alias (年龄 -> age), if any."""
    found = match_field(name)
    return found[0] if found and found[1] == "exact" else None
