from __future__ import annotations

from shouhou.logistics.models import LogisticsException, TrackingEvent


def tracking_events(*, shop, shipment_id: int):
    return TrackingEvent.objects.filter(shop=shop, shipment_id=shipment_id).order_by("-occurred_at", "-pk")


def exception_list(*, shop, status: str | None = None, limit: int = 200):
    qs = LogisticsException.objects.filter(shop=shop).select_related("shipment", "shipment__order")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-opened_at", "-pk")[:limit]


def order_tracking(*, shop, order_id: int, limit: int = 8):
    """The latest tracking events of an order's parcels, newest first (the desk's side panel); a voided waybill's
    (one the platform took off the order) are not the order's news."""
    return (TrackingEvent.objects.filter(shop=shop, shipment__order_id=order_id, shipment__voided_at__isnull=True)
            .select_related("shipment")
            .order_by("-occurred_at", "-pk")[:limit])
