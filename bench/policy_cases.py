"""Figures for the policy engine and recalls: python -m bench.policy_cases [--size N]

decide(): pure calls per second over a mix of claims. recall_launch(): one recall over N order lines on a
fresh SQLite database (or SHOUHOU_DATABASE_URL when set)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from decimal import Decimal


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10000)
    args = parser.parse_args()
    os.environ.setdefault("SHOUHOU_DATA_DIR", tempfile.mkdtemp(prefix="bench-cases-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
    import django

    django.setup()
    from shouhou.policies.document import load_default
    from shouhou.policies.engine import Claim, LineFacts, decide

    policy = load_default()
    signed = dt.date(2026, 11, 1)
    mix = [("clothing", "no_reason"), ("electronics", "performance_fault"), ("cosmetics", "quality"),
           ("mobile_phone", "performance_fault"), ("home", "damaged_in_transit"), ("clothing", "price_drop")]
    start = time.perf_counter()
    for i in range(args.size):
        cat, reason = mix[i % len(mix)]
        decide(LineFacts(category=cat, price_paid=Decimal("199"), delivered_on=signed, ordered_on=signed),
               Claim(reason=reason, current_price=Decimal("150")), signed + dt.timedelta(days=i % 40), policy=policy)
    took = time.perf_counter() - start
    print(f"decide: {args.size} calls in {took:.2f}s = {args.size / took:,.0f}/s")

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from shouhou.accounts.actors import SYSTEM
    from shouhou.cases.models import Case
    from shouhou.cases.services import recall_launch
    from shouhou.commerce.models import Customer, Order, OrderLine, Product, Shop

    shop = Shop.objects.create(name="压测店铺", code=f"bench{int(time.time())}")
    product = Product.objects.create(shop=shop, name="暖手宝", category="electronics")
    customers = Customer.objects.bulk_create([Customer(shop=shop, name=f"顾客{i}", phone=f"139{i:08d}",
                                                       phone_last4=f"{i:04d}"[-4:]) for i in range(args.size)])
    orders = Order.objects.bulk_create([Order(shop=shop, order_no=f"B{i:09d}", customer=c, total_paid=Decimal("99"))
                                        for i, c in enumerate(customers)], batch_size=2000)
    OrderLine.objects.bulk_create([OrderLine(shop=shop, order=o, product=product, product_name="暖手宝",
                                             category="electronics", line_key=f"L{i}", quantity=1,
                                             price_paid=Decimal("99"), batch_no="B1")
                                   for i, o in enumerate(orders)], batch_size=2000)
    start = time.perf_counter()
    from django.db import transaction

    with transaction.atomic():
        recall = recall_launch(shop=shop, actor=SYSTEM, reason="电池过热风险", product=product, batch_no="B1")
    took = time.perf_counter() - start
    n = Case.objects.filter(recall=recall).count()
    print(f"recall_launch: {n} cases + events in {took:.2f}s = {n / took:,.0f} lines/s")
    from shouhou.cases.tasks import recall_outreach

    start = time.perf_counter()
    recall_outreach(recall.pk)
    took = time.perf_counter() - start
    print(f"recall_outreach (background task): {n} messages queued in {took:.2f}s = {n / took:,.0f}/s")


if __name__ == "__main__":
    main()
