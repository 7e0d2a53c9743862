from __future__ import annotations

from django.db.models import QuerySet
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
