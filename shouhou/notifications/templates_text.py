"""Shipped default texts and the variables each trigger offers. Placeholders are {{name}}.

Pure: no database. `template_check` is what the save-time validation calls.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from shouhou.notifications.choices import Trigger

PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")

COMMON = ("shop_name", "customer_name", "service_contact")

VARIABLES: dict[str, tuple[str, ...]] = {
    Trigger.ORDER_PLACED: COMMON + ("order_no",),
    Trigger.ORDER_SHIPPED: COMMON + ("order_no", "carrier", "tracking_no"),
    Trigger.DISPATCH_LATE: COMMON + ("order_no", "reason", "remedy"),
    Trigger.LOGISTICS_EXCEPTION: COMMON + ("order_no", "carrier", "tracking_no", "problem"),
    Trigger.CASE_CREATED: COMMON + ("case_no", "order_no"),
    Trigger.CASE_APPROVED: COMMON + ("case_no", "resolution", "next_step"),
    Trigger.CASE_RECEIVED: COMMON + ("case_no",),
    Trigger.CASE_INSPECTION_PROGRESS: COMMON + ("case_no", "progress"),
    Trigger.CASE_RESOLVED: COMMON + ("case_no", "outcome"),
    Trigger.SURVEY_INVITATION: COMMON + ("survey_url",),
    Trigger.CASE_REJECTED: COMMON + ("case_no", "reason"),
    Trigger.RECALL: COMMON + ("case_no", "product", "reason"),
    Trigger.COMMUNITY_NEGATIVE: COMMON + ("body",),
}

# Variables a template must use (the message is useless without them).
REQUIRED: dict[str, tuple[str, ...]] = {
    Trigger.ORDER_PLACED: ("service_contact",),
    Trigger.ORDER_SHIPPED: ("carrier", "tracking_no"),
    Trigger.DISPATCH_LATE: ("reason", "remedy"),
    Trigger.LOGISTICS_EXCEPTION: ("problem",),
    Trigger.CASE_CREATED: ("case_no",),
    Trigger.CASE_APPROVED: ("case_no",),
    Trigger.CASE_RECEIVED: ("case_no",),
    Trigger.CASE_INSPECTION_PROGRESS: ("case_no", "progress"),
    Trigger.CASE_RESOLVED: ("case_no",),
    Trigger.SURVEY_INVITATION: ("survey_url",),
    Trigger.CASE_REJECTED: ("case_no", "reason"),
    Trigger.RECALL: ("reason",),
    Trigger.COMMUNITY_NEGATIVE: ("body",),
}

DEFAULTS: dict[str, str] = {
    Trigger.ORDER_PLACED: "【{{shop_name}}】{{customer_name}}您好，订单{{order_no}}已收到。收货后有任何问题，"
    "售后团队随时为您服务：{{service_contact}}。",
    Trigger.ORDER_SHIPPED: "【{{shop_name}}】您的订单{{order_no}}已由{{carrier}}发出，运单号{{tracking_no}}。"
    "签收时请当面验货，如有破损请拒收并联系我们：{{service_contact}}。",
    Trigger.DISPATCH_LATE: "【{{shop_name}}】非常抱歉，您的订单{{order_no}}未能按承诺时间发货，原因：{{reason}}。"
    "我们为您准备了补偿：{{remedy}}。如需帮助请联系：{{service_contact}}。",
    Trigger.LOGISTICS_EXCEPTION: "【{{shop_name}}】您订单{{order_no}}的包裹（{{carrier}} {{tracking_no}}）{{problem}}，"
    "我们已联系快递处理，有进展会第一时间告诉您。咨询：{{service_contact}}。",
    Trigger.CASE_CREATED: "【{{shop_name}}】您的售后申请{{case_no}}（订单{{order_no}}）已受理，我们会尽快处理。",
    Trigger.CASE_APPROVED: "【{{shop_name}}】您的售后申请{{case_no}}已同意：{{resolution}}。下一步：{{next_step}}。",
    Trigger.CASE_RECEIVED: "【{{shop_name}}】您寄回的商品（售后单{{case_no}}）已签收，正在安排质检。",
    Trigger.CASE_INSPECTION_PROGRESS: "【{{shop_name}}】售后单{{case_no}}质检进度：{{progress}}。",
    Trigger.CASE_RESOLVED: "【{{shop_name}}】售后单{{case_no}}已处理完成：{{outcome}}。感谢您的耐心。",
    Trigger.SURVEY_INVITATION: "【{{shop_name}}】邀请您为本次服务打分，只需30秒：{{survey_url}}",
    # An internal alert to the group admin; the reviews app composes the whole text.
    Trigger.CASE_REJECTED: "【{{shop_name}}】很抱歉，您的售后申请{{case_no}}暂未通过，原因：{{reason}}。"
    "如有疑问或补充凭证，请联系：{{service_contact}}。",
    Trigger.RECALL: "【{{shop_name}}】重要通知：您购买的{{product}}因{{reason}}启动召回，我们已为您创建售后单{{case_no}}，"
    "全程无需您承担费用，客服会主动联系您：{{service_contact}}。",
    Trigger.COMMUNITY_NEGATIVE: "【{{shop_name}}】{{body}}",
}


# Variables whose values people write (agents' notes and reasons, the shop's logistics texts, the
# policy's remedy): with the template text, the only places a review bribe can enter a message.
# Identifiers (order and tracking numbers, names, links) stay out of the compliance check: an "HP…FX"
# in a tracking number must not read as 好评返现. `body` (community_negative) quotes a customer's
# group message to the shop's own group admin, never to a customer, so it is not checked either.
FREE_TEXT = frozenset({"reason", "remedy", "problem", "progress", "resolution", "next_step", "outcome", "product"})


TEMPLATE_BODY = N_("模板内容")  # the field the compliance guard names

MAX_BODY = 1000  # characters; an SMS is billed per 70, a WeChat template field holds a few dozen


class TemplateError(ValueError):
    def __init__(self, message: str, *, variable: str | None = None):
        super().__init__(message)
        self.variable = variable


def template_variables(body: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(body)]


def unknown_trigger(trigger: str) -> TemplateError:
    return TemplateError(gettext("未知的触发事件：%(trigger)s") % {"trigger": trigger})


def template_check(trigger: str, body: str) -> None:
    """Raise TemplateError naming the first unknown or missing variable, in the active language."""
    if trigger not in VARIABLES:
        raise unknown_trigger(trigger)
    if len(body) > MAX_BODY:
        raise TemplateError(gettext("模板太长（%(length)s 字），最多 %(limit)s 字") % {"length": len(body), "limit": MAX_BODY})
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in body):
        raise TemplateError(gettext("模板含有不可见的控制字符（如 NUL），请删除后再保存"))
    allowed = VARIABLES[trigger]
    used = template_variables(body)
    for name in used:
        if name not in allowed:
            raise TemplateError(gettext("模板变量 %(variable)s 不可用于「%(trigger)s」，可用：%(allowed)s") % {
                "variable": f"{{{{{name}}}}}", "trigger": Trigger(trigger).label,
                "allowed": gettext("、").join(allowed)}, variable=name)
    for name in REQUIRED.get(trigger, ()):
        if name not in used:
            raise TemplateError(gettext("模板缺少必填变量 %(variable)s") % {"variable": f"{{{{{name}}}}}"},
                                variable=name)


def render(body: str, context: dict[str, object]) -> str:
    """Fill placeholders; a missing value renders as empty text (enqueue checks required ones)."""
    return PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), "") or ""), body)


def compliance_text(body: str, context: dict[str, object]) -> str:
    """What the compliance guard reads: the template text with only its free-text variables filled."""
    return PLACEHOLDER.sub(
        lambda m: str(context.get(m.group(1), "") or "") if m.group(1) in FREE_TEXT else " ", body)
