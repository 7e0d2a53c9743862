"""Shared set-up for notify benches: Django, migrations, a throwaway shop with customers and orders."""

from __future__ import annotations

import os
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def prepare() -> None:
    call_command("migrate", verbosity=0)


def make_shop(code: str, n: int):
    from shouhou.commerce.models import Customer, Order, Shipment, Shop
    from shouhou.core.clock import now

    Shop.objects.filter(code=code).delete()
    shop = Shop.objects.create(name="压测店铺", code=code, service_phone="400-800-0000")
    base = now() - timedelta(days=1)
    t = time.perf_counter()
    Customer.objects.bulk_create([Customer(shop=shop, name=f"顾客{i}", phone=f"139{i:08d}", phone_last4=f"{i:08d}"[-4:])
                                  for i in range(n)], batch_size=5000)
    cust_ids = list(Customer.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True))
    Order.objects.bulk_create([Order(shop=shop, order_no=f"B{i:09d}", customer_id=cust_ids[i], placed_at=base,
                                     paid_at=base, total_paid=99) for i in range(n)], batch_size=5000)
    order_ids = list(Order.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True))
    Shipment.objects.bulk_create([Shipment(shop=shop, order_id=oid, carrier="SF", tracking_no=f"SF{i:012d}",
                                           status="pending") for i, oid in enumerate(order_ids)], batch_size=5000)
    print(f"  set-up: {n} customers/orders/shipments in {time.perf_counter() - t:.1f}s")
    return shop, order_ids


def vendor() -> str:
    return connection.vendor
