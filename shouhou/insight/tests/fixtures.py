"""A small hand-computed world for the metric, page and API tests (numbers in docs/metrics.md terms).

Period: Mon 2026-11-16 00:00 – Mon 2026-11-23 00:00 (+08:00). One live session (host 甲), two SKUs,
two carriers. Counted by hand:
- order lines placed in the period: 6 (session: 4 lines on 2 orders via SF; other: 2 lines on 1 order via ZTO)
  + 1 line placed before the period.
- cases created in the period: return ×3 (2 on SKU A/session, reasons size_fit, quality; 1 on SKU B, size_fit,
  ZTO order), refund ×1 (SKU A, session); plus one return case created before the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shouhou.cases.models import Case
from shouhou.commerce.models import Shipment
from shouhou.core.testing.factories import (
    CustomerFactory,
    HostFactory,
    LiveSessionFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SKUFactory,
)

TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 16, tzinfo=TZ)
END = dt.datetime(2026, 11, 23, tzinfo=TZ)
IN = dt.datetime(2026, 11, 18, 10, 0, tzinfo=TZ)
IN2 = dt.datetime(2026, 11, 20, 15, 0, tzinfo=TZ)
OUT = dt.datetime(2026, 11, 10, 10, 0, tzinfo=TZ)
PERIOD = {"start": "2026-11-16", "end": "2026-11-23"}


@dataclass
class World:
    shop: object
    session: object
    host: object
    sku_a: object
    sku_b: object
    lines: list = field(default_factory=list)
    cases: dict = field(default_factory=dict)


def case(shop, number, line, kind, reason="other", created=IN, session=None, channel="", assignee=None):
    c = Case.objects.create(shop=shop, number=number, order=line.order, order_line=line, kind=kind, reason=reason,
                            live_session=session, channel=channel, assignee=assignee, customer=line.order.customer)
    Case.objects.filter(pk=c.pk).update(created_at=created)
    c.refresh_from_db()
    return c


def build_world(shop, agent=None) -> World:
    host = HostFactory(shop=shop, name="甲")
    session = LiveSessionFactory(shop=shop, host=host, title="双11 专场")
    product = ProductFactory(shop=shop)
    sku_a = SKUFactory(product=product, code="SKU-A")
    sku_b = SKUFactory(product=product, code="SKU-B")
    customer = CustomerFactory(shop=shop)
    w = World(shop, session, host, sku_a, sku_b)
    session_orders = [OrderFactory(shop=shop, customer=customer, placed_at=IN, live_session=session) for _ in range(2)]
    other = OrderFactory(shop=shop, customer=customer, placed_at=IN2)
    old = OrderFactory(shop=shop, customer=customer, placed_at=OUT)
    for o in session_orders:
        Shipment.objects.create(shop=shop, order=o, carrier="SF", tracking_no=f"SF{o.pk}")
        w.lines += [OrderLineFactory(order=o, product=product, sku=sku_a, batch_no="B1") for _ in range(2)]
    Shipment.objects.create(shop=shop, order=other, carrier="ZTO", tracking_no=f"ZTO{other.pk}")
    Shipment.objects.create(shop=shop, order=other, carrier="SF", tracking_no=f"R{other.pk}", is_return=True)
    w.lines += [OrderLineFactory(order=other, product=product, sku=sku_b, batch_no="B2") for _ in range(2)]
    old_line = OrderLineFactory(order=old, product=product, sku=sku_a, batch_no="B1")
    w.cases["r1"] = case(shop, "C-R1", w.lines[0], "return_refund", "size_fit", session=session, channel="portal",
                         assignee=agent)
    w.cases["r2"] = case(shop, "C-R2", w.lines[1], "return_refund", "quality", created=IN2, session=session,
                         channel="portal")
    w.cases["r3"] = case(shop, "C-R3", w.lines[4], "return_refund", "size_fit", channel="api")
    w.cases["f1"] = case(shop, "C-F1", w.lines[2], "refund_only", "quality", session=session, channel="portal")
    w.cases["old"] = case(shop, "C-OLD", old_line, "return_refund", "size_fit", created=OUT)
    return w
