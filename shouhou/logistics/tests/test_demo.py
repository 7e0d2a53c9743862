import random

from shouhou.core.testing.factories import OrderFactory, ShipmentFactory
from shouhou.logistics import demo as logistics_demo
from shouhou.logistics.models import TrackingEvent
from shouhou.notifications import demo as notifications_demo
from shouhou.notifications.models import OutboundMessage


def test_demo_seeds_are_deterministic_and_rerunnable(shop):
    for _ in range(20):
        ShipmentFactory(order=OrderFactory(shop=shop), signed_at=None)
    for _ in range(2):
        notifications_demo.seed(shop=shop, rng=random.Random(7))
        logistics_demo.seed(shop=shop, rng=random.Random(7))
    assert OutboundMessage.objects.filter(shop=shop, trigger="order_placed").count() == 20
    assert TrackingEvent.objects.filter(shop=shop).count() >= 20 * 2
