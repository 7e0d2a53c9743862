"""Retention sweep on one shop: N expired closed cases (each with an order, a customer, two chat
messages, one holding a phone number, and one proactive message naming the customer). Prints the time of the first sweep and of the idempotent second one.

    python -m bench.retention --size 20000

Runs on a throw-away test database of whatever SHOUHOU_DATABASE_URL points at (SQLite by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.size)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(size: int) -> None:
    from shouhou.accounts.actors import SYSTEM
    from shouhou.accounts.retention import shop_anonymise_expired
    from shouhou.accounts.services import shop_retention_set
    from shouhou.cases.choices import CaseKind, CaseStatus
    from shouhou.cases.models import Case
    from shouhou.commerce.models import Customer, Order, Shop
    from shouhou.inbox.choices import Channel, Direction
    from shouhou.inbox.models import Conversation, Message
    from shouhou.notifications.models import OutboundMessage

    sh = dt.timezone(dt.timedelta(hours=8))
    old = dt.datetime(2025, 1, 1, tzinfo=sh)
    shop = Shop.objects.create(name="基准店", code="bench")
    shop_retention_set(shop=shop, days=90, actor=SYSTEM)
    customers = Customer.objects.bulk_create(
        [Customer(shop=shop, name=f"顾客{i}", phone=f"138{i:08d}", phone_last4=f"{i:04d}"[-4:]) for i in range(size)])
    orders = Order.objects.bulk_create(
        [Order(shop=shop, order_no=f"OD{i:010d}", customer=c, placed_at=old, receiver_name=c.name,
               receiver_phone=c.phone, address="浙江省杭州市西湖区文三路1号") for i, c in enumerate(customers)])
    Case.objects.bulk_create(
        [Case(shop=shop, number=f"AS{i:08d}", order=o, customer=o.customer, kind=CaseKind.REFUND_ONLY,
              status=CaseStatus.RESOLVED, resolved_at=old) for i, o in enumerate(orders)])
    convs = Conversation.objects.bulk_create(
        [Conversation(shop=shop, customer=c, channel=Channel.values[0]) for c in customers])
    Message.objects.bulk_create(
        [m for i, cv in enumerate(convs) for m in (
            Message(shop=shop, conversation=cv, direction=Direction.values[0], body=f"电话 138{i:08d} 请回电"),
            Message(shop=shop, conversation=cv, direction=Direction.values[0], body="谢谢"))])

    OutboundMessage.objects.bulk_create(
        [OutboundMessage(shop=shop, customer=c, channel="sms", trigger="case_resolved", recipient=c.phone,
                         body=f"【基准店】{c.name}您好，售后已完成，有问题请回电 {c.phone}",
                         context={"customer_name": c.name}, idempotency_key=f"bench:{c.pk}", status="sent")
         for c in customers], batch_size=2000)

    start = time.perf_counter()
    first = shop_anonymise_expired(shop=shop)
    t1 = time.perf_counter() - start
    start = time.perf_counter()
    second = shop_anonymise_expired(shop=shop)
    t2 = time.perf_counter() - start
    from django.db import connection

    print(f"database: {connection.vendor}; cases: {size}")
    print(f"first sweep: {t1:.2f} s (orders {first.orders}, customers {first.customers}, messages {first.messages}, "
          f"proactive messages {first.outbound})")
    print(f"second sweep (idempotent): {t2:.2f} s (changed {second.total})")


if __name__ == "__main__":
    main()
