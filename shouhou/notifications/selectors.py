from __future__ import annotations

from django.db.models import QuerySet

from shouhou.notifications.models import OutboundMessage


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
