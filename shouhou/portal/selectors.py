"""Reads of the customer's pages that are theirs alone (the logistics app's selectors are per shipment, or the
latest events of a whole order for the desk: neither says which parcel an event is of, a few at a time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from shouhou.commerce.models import Order, Shipment
from shouhou.logistics.models import LogisticsException, TrackingEvent

LATEST_EVENTS = 3  # shown at once per parcel; the rest behind 「更多」


@dataclass
class Parcel:
    """One outbound parcel of the order as the customer reads it."""

    shipment: Shipment
    number: int  # 1, 2, … in the order the parcels were recorded
    events: list[TrackingEvent] = field(default_factory=list)  # newest first
    exception: LogisticsException | None = None  # the open one (at most one per shipment)
    state: str = ""  # where it is, in the reader's words (set by the view: portal.texts.parcel_state)
    problem: str = ""  # what went wrong, when flagged (portal.texts.parcel_problem)
    no_news: str = ""  # why no tracking step shows, when none is on record (portal.texts.parcel_no_news)

    @property
    def latest(self) -> list[TrackingEvent]:
        return self.events[:LATEST_EVENTS]

    @property
    def earlier(self) -> list[TrackingEvent]:
        return self.events[LATEST_EVENTS:]


def order_parcels(*, order: Order) -> list[Parcel]:
    """The order's outbound parcels (not a return's, not a waybill the platform voided), each with its tracking
    events, newest first, and its open logistics exception. Three queries however many parcels the order has."""
    events = TrackingEvent.objects.filter(shop_id=order.shop_id).order_by("-occurred_at", "-pk")
    exceptions = LogisticsException.objects.filter(shop_id=order.shop_id, status=LogisticsException.Status.OPEN)
    shipments = (Shipment.objects.filter(shop_id=order.shop_id, order=order, is_return=False, voided_at__isnull=True)
                 .order_by("pk")
                 .prefetch_related(Prefetch("tracking_events", queryset=events, to_attr="events_newest"),
                                   Prefetch("exceptions", queryset=exceptions, to_attr="open_exceptions")))
    return [Parcel(shipment=s, number=i, events=s.events_newest,
                   exception=s.open_exceptions[0] if s.open_exceptions else None)
            for i, s in enumerate(shipments, start=1)]
