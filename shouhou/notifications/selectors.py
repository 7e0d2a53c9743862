from __future__ import annotations

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shouhou.notifications.models import OptOutRequest, OutboundMessage

# Where an opt-out request came from, as OptOutRequest.source stores it: an SMS reply, an SMS provider that
# refused the number as blocked (services.sms_block_record: the provider's name), or a chat (the inbox channel).
OPT_OUT_SOURCE_LABELS = {
    "sms_reply": _("短信回复"),
    "aliyun_sms": _("短信服务商拦截（阿里云）"),
    "tencent_sms": _("短信服务商拦截（腾讯云）"),
}


def opt_out_source_label(source: str) -> str:
    """The source in the reader's language (the timeline showed the stored code, "sms_reply", "wechat")."""
    from shouhou.inbox.choices import Channel

    if source in OPT_OUT_SOURCE_LABELS:
        return str(OPT_OUT_SOURCE_LABELS[source])
    if source in Channel.values:
        return str(Channel(source).label)
    return source


def customer_timeline(*, shop, customer_id: int, limit: int = 200) -> QuerySet[OutboundMessage]:
    return (OutboundMessage.objects.filter(shop=shop, customer_id=customer_id)
            .order_by("-created_at", "-pk")[:limit])


def message_list(*, shop, status: str | None = None, trigger: str | None = None, limit: int = 200):
    qs = OutboundMessage.objects.filter(shop=shop)
    if status:
        qs = qs.filter(status=status)
    if trigger:
        qs = qs.filter(trigger=trigger)
    return qs.select_related("customer").order_by("-created_at", "-pk")[:limit]


def opt_out_requests(*, shop, customer_id: int | None = None, outcome: str | None = None, scope: str | None = None,
                     limit: int = 200) -> QuerySet[OptOutRequest]:
    """The shop's recorded opt-out requests (SMS replies and chats), newest first: who, when, where, the words."""
    qs = OptOutRequest.objects.filter(shop=shop)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if scope:
        qs = qs.filter(scope=scope)
    return qs.order_by("-received_at", "-pk")[:limit]


# --- message templates -----------------------------------------------------------------------------

# What a preview fills in where the shop has no order to show (and for the variables an order does not give).
PREVIEW_SAMPLE = {
    "customer_name": "王小明", "order_no": "DY20261111000001", "carrier": "中通快递", "tracking_no": "ZT1000000001",
    "reason": "仓库爆单，备货延迟", "remedy": "5 元无门槛优惠券", "problem": "已 3 天没有物流更新",
    "case_no": "SH20261112-0001", "resolution": "退货退款", "next_step": "请在 7 天内寄回商品",
    "progress": "已收到商品，质检中", "outcome": "已退款 129.00 元", "survey_url": "https://example.com/s/abc",
    "product": "加绒卫衣女", "body": "群里有顾客说衣服起球",
}


def template_list(*, shop) -> list[dict]:
    """Every trigger with the shop's own templates (enabled and disabled, per channel) and the shipped default
    text: the rows of the templates page, in the order of the triggers."""
    from shouhou.notifications.choices import MsgChannel, Trigger
    from shouhou.notifications.models import MessageTemplate
    from shouhou.notifications.templates_text import DEFAULTS, VARIABLES

    own: dict[str, list] = {}
    for tpl in MessageTemplate.objects.filter(shop=shop).order_by("trigger", "channel", "pk"):
        tpl.channel_label = MsgChannel(tpl.channel).label if tpl.channel in MsgChannel.values else tpl.channel
        own.setdefault(tpl.trigger, []).append(tpl)
    return [{"trigger": t.value, "label": t.label, "default": DEFAULTS.get(t.value, ""),
             "variables": VARIABLES.get(t.value, ()), "templates": own.get(t.value, [])} for t in Trigger]


def template_preview_context(*, shop) -> tuple[dict[str, str], str]:
    """The values a preview fills in: the shop's latest order (its number, customer and parcel) where it has
    one, sample values for the rest. Returns (values, the order number shown or "")."""
    from shouhou.commerce.models import Order, Shipment
    from shouhou.notifications.services import service_contact

    values = {**PREVIEW_SAMPLE, "shop_name": shop.name, "service_contact": service_contact(shop)}
    order = Order.objects.filter(shop=shop).select_related("customer").order_by("-placed_at", "-pk").first()
    if order is None:
        return values, ""
    values["order_no"] = order.order_no
    if order.customer is not None and order.customer.name:
        values["customer_name"] = order.customer.name
    parcel = Shipment.objects.filter(order=order).exclude(tracking_no="").order_by("-pk").first()
    if parcel is not None:
        with translation.override(None):  # the message's language (Chinese), whatever the reader's
            values["carrier"] = str(parcel.get_carrier_display()) or values["carrier"]
        values["tracking_no"] = parcel.tracking_no
    return values, order.order_no


def template_preview(*, shop, trigger: str, body: str) -> dict:
    """What a template's text becomes for the sample order, and what would stop it being saved: the unknown or
    missing variable, or the compliance guard's refusal ("" when it may be saved)."""
    from shouhou.notifications.templates_text import (
        TEMPLATE_BODY,
        TemplateError,
        compliance_text,
        render,
        template_check,
    )
    from shouhou.reviews.guards import guard_refusal

    values, order_no = template_preview_context(shop=shop)
    problem = ""
    try:
        template_check(trigger, body)
    except TemplateError as exc:
        problem = str(exc)
    if not problem:
        problem = guard_refusal(compliance_text(body, {}), field=gettext(TEMPLATE_BODY))
    return {"text": render(body, values), "order_no": order_no, "problem": problem, "length": len(render(body, values))}
