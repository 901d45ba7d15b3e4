"""API errors in the reader's language: a stable code plus values, worded per locale when answered.

The pages show an error's ``detail`` as it comes, so a refusal must be written in the console's
language like every label. A route raises ``ApiError(status, code, **values)``; the app's handler
answers ``{"detail": <text in the request's locale>, "code": code}``. Scripts can branch on ``code``,
people read ``detail``. Own table (not i18n.STRINGS) so the label table stays a size one can read;
both columns must be full here too (tests check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException

from voicebot.locales import is_chinese
from voicebot.supervisor import i18n

# code: (en-US, zh-CN). Values are shown as given (ids, names, what the user typed).
ERRORS: dict[str, tuple[str, str]] = {
    "login_required": ("Login required: your session ended or you are not logged in.",
                       "尚未登录或登录已过期，请重新登录。"),
    "supervisor_only": ("This needs the supervisor role.", "没有权限执行此操作（仅限主管）。"),
    "csrf": ("This page is out of date (missing or wrong CSRF token): reload it and try again.",
             "页面已过期，请刷新后重试。"),
    "cross_site": ("Refused: the request came from another site.", "已拒绝：该请求来自其他网站。"),
    "not_found": ("Not found: the address is wrong or the item is gone.",
                  "找不到该页面或数据，地址可能有误或已被删除。"),
    "method_not_allowed": ("This address does not take that kind of request.", "该地址不支持这种请求方式。"),
    "invalid_request": ("The request is not valid: {fields}.", "提交的内容不符合要求，请检查后重试。"),
    "unknown_locale": ("Unknown language {locale}; use one of {choices}.", "不支持该语言：{locale}。"),
    "audit_unknown_action": ("Unknown audit action {action}.", "没有这种操作类型：{action}。"),
    "audit_bad_cursor": ("before is the cursor of a previous page (digits), got {value}.",
                         "翻页位置无效（应为上一页返回的数字），收到的是：{value}。"),
    "audit_bad_limit": ("limit is 1..500 entries a page, got {value}.",
                        "每页条数应在 1 到 500 之间，收到的是：{value}。"),
    "no_live_call": ("No such live call: it may have just ended.", "找不到这通通话，可能已经结束。"),
    "whisper_empty": ("The whisper is empty.", "提示内容为空，请输入后再发送。"),
    "no_call_action": ("No action {action} on a call.", "不支持对通话执行该操作：{action}。"),
    "no_phone": ("No phone is set for {user} (supervisor.users.{user}.phone).",
                 "还没有为 {user} 配置电话，请联系管理员在 supervisor.users.{user}.phone 中填写。"),
    "bad_phone": ("Your phone {uri} in the settings must start with sip:.",
                  "配置里您的电话 {uri} 格式不对，应以 sip: 开头，请联系管理员修改。"),
    "no_campaign": ("No campaign {name}.", "没有名为 {name} 的外呼任务。"),
    "campaign_bad_status": ("A campaign's status can be set to {choices}, not {status}.",
                            "外呼任务只能设为：{choices}，不能设为 {status}。"),
    "campaign_cannot_change": ("Campaign {name} is {status}: it cannot become {target}.",
                               "外呼任务 {name} 当前状态为「{status}」，不能改为「{target}」。"),
    "too_many_streams": ("Too many open live pages for this login: close one and reload.",
                         "该账号打开的实时页面过多，请关闭一个后刷新。"),
    "bad_date": ("Dates are YYYY-MM-DD, got {value}.", "日期格式应为 年-月-日（例如 2026-03-01），收到的是：{value}。"),
    "bad_sort": ("Sort is one of {choices}, got {value}.", "不支持这种排序方式：{value}。"),
    "bad_seconds": ("Call length is a number of seconds, got {value}.", "通话时长请填秒数，收到的是：{value}。"),
    "bad_limit": ("The result limit is a number, got {value}.", "条数上限请填数字，收到的是：{value}。"),
    "number_search_supervisors": ("Searching by customer number is for supervisors: search by name, the masked "
                                  "number as shown (e.g. 138******78) or the call id.",
                                  "按客户号码查询仅限主管。您可以按姓名、页面上显示的脱敏号码（如 138******78）"
                                  "或通话编号查询。"),
    "bad_encoding": ("The export encoding is gbk or utf-8, got {value}.",
                     "导出编码只能是 GBK 或 UTF-8，收到的是：{value}。"),
    "no_recording": ("No such recording.", "找不到这条录音。"),
    "comment_rate": ("At most {limit} comments a minute per session; try again in {wait} s.",
                     "评语提交太频繁：每分钟最多 {limit} 条，请 {wait} 秒后再试。"),
    "comment_empty": ("The comment is empty.", "评语内容为空，请输入后再提交。"),
    "unknown_criterion": ("Unknown scorecard item {name}.", "没有这个评分项：{name}。"),
    "bad_points": ("{label} takes 0 to {max} points, got {value}.",
                   "「{label}」的分数应在 0 到 {max} 之间，收到的是：{value}。"),
}


@dataclass(frozen=True)
class Label:
    """A value from a fixed set, shown with its label in the reader's language (camp.status.paused)."""

    prefix: str
    value: str


# The framework's own refusals (no such route, wrong method), by status.
FRAMEWORK_CODES = {404: "not_found", 405: "method_not_allowed"}


class Invalid(ValueError):
    """A refusal from code below the routes (qa, channel): a code and values, English when printed."""

    def __init__(self, code: str, /, **values: Any) -> None:
        self.code, self.values = code, values
        super().__init__(message(code, i18n.DEFAULT, **values))


class ApiError(HTTPException):
    """An HTTP refusal worded in the reader's language when answered (see the app's handler)."""

    def __init__(self, status_code: int, code: str, /, headers: dict[str, str] | None = None, **values: Any) -> None:
        if code not in ERRORS:
            raise KeyError(code)  # a typo in a code would show the code itself to the user
        self.code, self.values = code, values
        super().__init__(status_code, message(code, i18n.DEFAULT, **values), headers)

    @classmethod
    def of(cls, status_code: int, exc: Invalid) -> ApiError:
        return cls(status_code, exc.code, **exc.values)


def message(code: str, locale: str, /, **values: Any) -> str:
    pair = ERRORS[code]
    text = pair[1] if is_chinese(locale) else pair[0]
    return text.format(**{k: _shown(v, locale) for k, v in values.items()})


def _shown(value: Any, locale: str) -> str:
    """A list of choices reads as one ('a, b' / 'a、b'); a Label in the reader's words."""
    if isinstance(value, (list, tuple)):
        return ("、" if is_chinese(locale) else ", ").join(_shown(v, locale) for v in value)
    if isinstance(value, Label):
        return i18n.value_label(locale, value.prefix, value.value)
    return str(value)
