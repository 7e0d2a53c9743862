import random

import pytest

from shouhou.core.testing.factories import OrderFactory, ShipmentFactory
from shouhou.logistics import demo as logistics_demo
from shouhou.logistics.models import TrackingEvent
from shouhou.notifications import demo as notifications_demo
from shouhou.notifications.models import OutboundMessage

pytestmark = pytest.mark.usefixtures("demo_clock")  # the demo is built relative to now


def test_demo_seeds_are_deterministic_and_rerunnable(shop):
    for _ in range(20):
        ShipmentFactory(order=OrderFactory(shop=shop), signed_at=None)
    for _ in range(2):
        notifications_demo.seed(shop=shop, rng=random.Random(7))
        logistics_demo.seed(shop=shop, rng=random.Random(7))
    assert OutboundMessage.objects.filter(shop=shop, trigger="order_placed").count() == 20
    assert TrackingEvent.objects.filter(shop=shop).count() >= 20 * 2


def test_demo_settles_old_exceptions_and_keeps_recent_ones_in_the_queue(shop):
    import datetime as dt

    from django.utils import timezone

    from shouhou.commerce.models import Shipment
    from shouhou.inbox.models import Ticket
    from shouhou.logistics.models import LogisticsException

    now = timezone.now()
    old = ShipmentFactory(order=OrderFactory(shop=shop), status="returned", signed_at=None,
                          shipped_at=now - dt.timedelta(days=20))
    recent = ShipmentFactory(order=OrderFactory(shop=shop), status="delivery_failed", signed_at=None,
                             shipped_at=now - dt.timedelta(hours=30))
    logistics_demo.seed(shop=shop, rng=random.Random(3))
    for s in (old, recent):
        s.refresh_from_db()
        assert s.last_event_at <= now  # no scan from the future
    settled = LogisticsException.objects.get(shipment=old)
    assert settled.status == "open"  # the parcel is still returned: the sweep must not raise it again
    ticket = settled.ticket
    assert ticket.status == "closed" and ticket.resolved_at < now - dt.timedelta(days=3)
    assert ticket.created_at < ticket.first_responded_at < ticket.resolved_at
    assert ticket.events.filter(to_value="closed", visible_to_customer=True).exists()
    live = LogisticsException.objects.get(shipment=recent).ticket
    assert live.status == "new" and live.resolved_at is None
    # the periodic sweep afterwards opens nothing new for either parcel
    from shouhou.logistics.services import exception_sweep

    assert exception_sweep(shop=shop)["opened"] == 0
    assert Ticket.objects.filter(shop=shop).count() == 2
    assert Shipment.objects.filter(shop=shop).count() == 2


def test_a_signed_parcels_route_ends_at_the_sign_off_on_record(shop):
    # the demo's last scan said 「已签收」 at a time of its own, hours or days from the sign-off the pages show
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    signed = now - dt.timedelta(days=2, hours=3)
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), status="signed",
                               shipped_at=now - dt.timedelta(days=4), signed_at=signed)
    logistics_demo.seed(shop=shop, rng=random.Random(11))
    shipment.refresh_from_db()
    events = list(TrackingEvent.objects.filter(shipment=shipment).order_by("occurred_at"))
    assert events[-1].status == "signed" and events[-1].occurred_at == signed == shipment.signed_at
    assert shipment.last_event_at == signed
    assert all(shipment.shipped_at <= e.occurred_at <= signed for e in events)
    assert [e.occurred_at for e in events] == sorted({e.occurred_at for e in events})  # one scan per moment
