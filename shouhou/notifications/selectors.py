from __future__ import annotations

from django.db.models import QuerySet

from shouhou.notifications.models import OptOutRequest, OutboundMessage


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
